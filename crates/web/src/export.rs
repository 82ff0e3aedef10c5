//! Tables as downloads: CSV (one file, a first column naming the table)
//! and XLSX (a sheet saying what was counted, then one sheet per table,
//! counts as numbers). Used by every dashboard.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A table as shown: title, column headers, rows of text ("< 5" and empty
/// cells stay text; numbers become numbers in XLSX).
pub struct Table {
    pub title: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

pub fn download(content_type: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn failed(what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!("{what} export: {e}");
    (StatusCode::INTERNAL_SERVER_ERROR, "Export impossible").into_response()
}

/// `tableau,<headers…>` then every row of every table. Tables whose
/// headers differ share the file; the header line is the first table's.
/// Through the shared writer: no cell reaches a spreadsheet as a formula.
pub fn csv(name: &str, tables: &[Table]) -> Response {
    csv_in(passerelle_csv::Dialect::Standard, name, tables)
}

/// The same in a dialect: `FrenchExcel` for files offered to people
/// (BOM, `;`; numbers in the rows already written with a decimal comma).
pub fn csv_in(dialect: passerelle_csv::Dialect, name: &str, tables: &[Table]) -> Response {
    let mut out = passerelle_csv::builder()
        .dialect(dialect)
        .flexible(true)
        .from_writer(Vec::new());
    let first = tables
        .first()
        .map(|t| t.headers.clone())
        .unwrap_or_default();
    let mut ok = out
        .write_record(std::iter::once("tableau").chain(first.iter().copied()))
        .is_ok();
    for t in tables {
        for row in &t.rows {
            ok &= out
                .write_record(
                    std::iter::once(t.title.as_str()).chain(row.iter().map(String::as_str)),
                )
                .is_ok();
        }
    }
    match out.into_inner() {
        Ok(bytes) if ok => download("text/csv; charset=utf-8", name, bytes),
        Ok(_) => failed("CSV", "a row could not be written"),
        Err(e) => failed("CSV", e),
    }
}

/// The workbook: `about` lines (label, value) on a first sheet.
pub fn xlsx(name: &str, heading: &str, about: &[(&str, String)], tables: &[Table]) -> Response {
    match workbook(heading, about, tables) {
        Ok(bytes) => download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            name,
            bytes,
        ),
        Err(e) => failed("XLSX", e),
    }
}

fn workbook(
    heading: &str,
    about: &[(&str, String)],
    tables: &[Table],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("Présentation")?;
    sheet.write_string_with_format(0, 0, heading, &bold)?;
    for (i, (label, value)) in about.iter().enumerate() {
        let r = i as u32 + 2;
        sheet.write_string_with_format(r, 0, *label, &bold)?;
        sheet.write_string(r, 1, value)?;
    }
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 60)?;
    let mut names: Vec<String> = Vec::new();
    for t in tables {
        // Sheet names: 31 characters, none of : \ / ? * [ ], unique.
        let mut name: String = t
            .title
            .chars()
            .map(|c| if ":\\/?*[]".contains(c) { '-' } else { c })
            .take(28)
            .collect::<String>()
            .trim()
            .to_string();
        if names.contains(&name) {
            name = format!("{name} {}", names.len());
        }
        names.push(name.clone());
        let sheet = book.add_worksheet().set_name(&name)?;
        sheet.write_string_with_format(0, 0, &t.title, &bold)?;
        for (c, h) in t.headers.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, *h, &bold)?;
        }
        for (i, row) in t.rows.iter().enumerate() {
            let r = i as u32 + 3;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell.parse::<f64>() {
                    Ok(n) if c > 0 => sheet.write_number(r, c, n)?,
                    _ if cell.is_empty() => sheet,
                    _ => sheet.write_string(r, c, cell)?,
                };
            }
        }
        sheet.set_column_width(0, 48)?;
    }
    book.save_to_buffer()
}
