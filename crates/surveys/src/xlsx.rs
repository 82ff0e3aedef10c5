//! The report's tables as an XLSX workbook (one sheet, tables one under
//! the other, as in the CSV), for researchers who open results in a
//! spreadsheet.
//!
//! Written by hand rather than with a crate: a workbook is five small XML
//! parts in a ZIP archive, and stored (uncompressed) entries need nothing
//! beyond a CRC-32. Plain numbers become numeric cells; everything else
//! ("22 (12,4 %)", labels, notes) is text.

use crate::render::Table;

/// CRC-32 (IEEE 802.3, reflected), as ZIP requires.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A ZIP archive of stored entries.
fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    // 1980-01-01 00:00, the earliest date ZIP can say: no clock read, so the
    // same tables always give the same bytes.
    let (time, date) = (0u16, (1u16 << 5) | 1);
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        let fields = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(&20u16.to_le_bytes()); // version needed
            buf.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            buf.extend_from_slice(&0u16.to_le_bytes()); // stored
            buf.extend_from_slice(&time.to_le_bytes());
            buf.extend_from_slice(&date.to_le_bytes());
            buf.extend_from_slice(&crc.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes());
            buf.extend_from_slice(&(name.len() as u16).to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    let count = entries.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 cannot carry other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

fn sheet(tables: &[Table]) -> String {
    let titles: Vec<String> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| format!("Tableau {} – {}", i + 1, t.title))
        .collect();
    let mut lines: Vec<Vec<&str>> = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            lines.push(Vec::new());
        }
        lines.push(vec![titles[i].as_str()]);
        lines.push(table.header.iter().map(String::as_str).collect());
        lines.extend(
            table
                .rows
                .iter()
                .map(|r| r.iter().map(String::as_str).collect()),
        );
        lines.extend(table.notes.iter().map(|n| vec![n.as_str()]));
    }
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, line) in lines.iter().enumerate() {
        xml.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in line.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let at = format!("{}{}", column_name(c), r + 1);
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => xml.push_str(&format!("<c r=\"{at}\"><v>{v}</v></c>")),
                _ => xml.push_str(&format!(
                    "<c r=\"{at}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                    escape(cell)
                )),
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// The workbook's bytes. Render the tables with the decimal point (the
/// default `NumberFormat`) so that numbers become numeric cells, which the
/// spreadsheet then shows in its own locale.
pub fn workbook(tables: &[Table]) -> Vec<u8> {
    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
    let content_types = format!(
        r#"{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#
    );
    let rels = format!(
        r#"{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"{HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Tableaux" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    );
    zip(&[
        ("[Content_Types].xml", content_types.into_bytes()),
        ("_rels/.rels", rels.into_bytes()),
        ("xl/workbook.xml", workbook.into_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.into_bytes()),
        ("xl/worksheets/sheet1.xml", sheet(tables).into_bytes()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_the_check_string() {
        // The standard check value of CRC-32.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(26 * 27), "AAA");
    }

    /// Reads the archive back through its central directory, as a
    /// spreadsheet does, and checks each entry's size and CRC.
    #[test]
    fn archive_reads_back() {
        let table = Table {
            title: "Q. poste : « Intitulé » & <poste>".into(),
            header: vec!["".into(), "Fréquence".into(), "Pourcentage".into()],
            rows: vec![vec![
                "Conseiller-ère numérique".into(),
                "103".into(),
                "57.9 %".into(),
            ]],
            notes: vec!["Non-réponses : 2.".into()],
        };
        let bytes = workbook(&[table]);
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
        let end = bytes.len() - 22;
        assert_eq!(u32_at(end), 0x0605_4b50);
        let (count, mut at) = (u16_at(end + 10), u32_at(end + 16));
        assert_eq!(count, 5);
        let mut names = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(at), 0x0201_4b50);
            let (crc, size, name_len, local) = (
                u32_at(at + 16),
                u32_at(at + 24),
                u16_at(at + 28),
                u32_at(at + 42),
            );
            let name = String::from_utf8(bytes[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(local), 0x0403_4b50);
            let data_at = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            let data = &bytes[data_at..data_at + size];
            assert_eq!(crc32(data) as usize, crc, "{name}");
            if name == "xl/worksheets/sheet1.xml" {
                let xml = std::str::from_utf8(data).unwrap();
                assert!(xml.contains("<c r=\"B3\"><v>103</v></c>"), "{xml}");
                assert!(xml.contains("« Intitulé » &amp; &lt;poste&gt;"), "{xml}");
                assert!(
                    xml.contains("<t xml:space=\"preserve\">57.9 %</t>"),
                    "{xml}"
                );
            }
            names.push(name);
            at += 46 + name_len;
        }
        assert_eq!(names[0], "[Content_Types].xml");
    }
}
