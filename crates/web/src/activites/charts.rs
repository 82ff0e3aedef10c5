//! Charts drawn on the server as SVG (issue 18 §2): readable without
//! JavaScript, printable, each followed by its data table for screen
//! readers (the SVG is an image with a title; the table holds the
//! figures). Values hidden by the small-cell rule draw no bar and read
//! "< 5". Colours are the DSFR's (blue France), set by attributes, not
//! inline styles (the pages' CSP).

use std::fmt::Write;

/// One bar: its label and its value (`None`: hidden).
pub struct Bar {
    pub label: String,
    pub value: Option<u64>,
}

/// A chart and its table.
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub svg: String,
    pub bars: Vec<Bar>,
    /// The heading of the table's first column.
    pub what: &'static str,
}

impl Chart {
    pub fn shown(&self, v: &Option<u64>) -> String {
        super::explore::count(*v)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const BLUE: &str = "#000091";
const GREY: &str = "#666666";

/// Horizontal bars, one line each (themes, ages, statuses, types).
pub fn horizontal(id: &'static str, title: String, what: &'static str, bars: Vec<Bar>) -> Chart {
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let row = 26;
    let height = row * bars.len() as i32 + 8;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-titre\" class=\"passerelle-graphique\"><title id=\"{id}-titre\">{}</title>",
        escape(&title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 4 + row * i as i32;
        let _ = write!(
            svg,
            "<text x=\"290\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#161616\">{}</text>",
            y + 17,
            escape(&truncate(&b.label, 40))
        );
        match b.value {
            Some(v) => {
                let w = (v as f64 / max * 330.0).max(1.0);
                let _ = write!(
                    svg,
                    "<rect x=\"300\" y=\"{}\" width=\"{w:.1}\" height=\"18\" fill=\"{BLUE}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"13\" fill=\"#161616\">{}</text>",
                    y + 3,
                    306.0 + w,
                    y + 17,
                    crate::fr::integer(v as i64)
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"306\" y=\"{}\" font-size=\"13\" fill=\"{GREY}\">&lt; 5</text>",
                    y + 17
                );
            }
        }
    }
    svg.push_str("</svg>");
    Chart {
        id,
        title,
        svg,
        bars,
        what,
    }
}

/// Columns over time (the trend), labels of the first and last.
pub fn columns(id: &'static str, title: String, what: &'static str, bars: Vec<Bar>) -> Chart {
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (width, height, base) = (720.0, 220.0, 190.0);
    let step = (width - 20.0) / bars.len().max(1) as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-titre\" class=\"passerelle-graphique\"><title id=\"{id}-titre\">{}</title><line x1=\"10\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"{GREY}\"/>",
        escape(&title),
        width - 10.0
    );
    for (i, b) in bars.iter().enumerate() {
        if let Some(v) = b.value {
            let h = (v as f64 / max * (base - 20.0)).max(1.0);
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{BLUE}\"/>",
                10.0 + step * i as f64 + step * 0.1,
                base - h,
                (step * 0.8).max(0.5)
            );
        }
    }
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let _ = write!(
            svg,
            "<text x=\"10\" y=\"{}\" font-size=\"13\" fill=\"#161616\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\" fill=\"#161616\">{}</text><text x=\"10\" y=\"14\" font-size=\"13\" fill=\"{GREY}\">max. {}</text>",
            base + 20.0,
            escape(&first.label),
            width - 10.0,
            base + 20.0,
            escape(&last.label),
            crate::fr::integer(max as i64)
        );
    }
    svg.push_str("</svg>");
    Chart {
        id,
        title,
        svg,
        bars,
        what,
    }
}

fn truncate(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(n - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_values_draw_no_bar_and_labels_are_escaped() {
        let c = horizontal(
            "t",
            "Thèmes".into(),
            "Thème",
            vec![
                Bar {
                    label: "A <b>".into(),
                    value: Some(10),
                },
                Bar {
                    label: "B".into(),
                    value: None,
                },
            ],
        );
        assert_eq!(c.svg.matches("<rect").count(), 1);
        assert!(c.svg.contains("A &lt;b&gt;") && c.svg.contains("&lt; 5"));
        assert!(!c.svg.contains("style="), "no inline style under the CSP");
    }
}
