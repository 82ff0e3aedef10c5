//! The report's tables as an XLSX workbook (one sheet, tables one under
//! the other, as in the CSV), for researchers who open results in a
//! spreadsheet. Plain numbers become numeric cells; everything else
//! ("22 (12,4 %)", labels, notes) is text. Written with rust_xlsxwriter,
//! as every other workbook Passerelle exports.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::render::Table;

/// The workbook's bytes. Render the tables with the decimal point (the
/// default `NumberFormat`) so that numbers become numeric cells, which the
/// spreadsheet then shows in its own locale.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("Tableaux")?;
    let mut r: u32 = 0;
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            r += 1;
        }
        sheet.write_string_with_format(
            r,
            0,
            format!("Tableau {} – {}", i + 1, table.title),
            &bold,
        )?;
        r += 1;
        for (c, h) in table.header.iter().enumerate() {
            sheet.write_string_with_format(r, c as u16, h, &bold)?;
        }
        r += 1;
        for row in &table.rows {
            for (c, cell) in row.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => sheet.write_number(r, c as u16, v)?,
                    _ => sheet.write_string(r, c as u16, cell)?,
                };
            }
            r += 1;
        }
        for note in &table.notes {
            sheet.write_string(r, 0, note)?;
            r += 1;
        }
    }
    sheet.set_column_width(0, 40)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    /// Read back as a spreadsheet does: titles, numbers as numbers, text
    /// as text, notes under their table.
    #[test]
    fn tables_read_back() {
        let table = |title: &str, n: &str| Table {
            title: title.into(),
            header: vec!["".into(), "Fréquence".into(), "Pourcentage".into()],
            rows: vec![vec![
                "Conseiller-ère numérique".into(),
                n.into(),
                "57.9 %".into(),
            ]],
            notes: vec!["Non-réponses : 2.".into()],
        };
        let bytes = workbook(&[
            table("Q. poste : « Intitulé » & <poste>", "103"),
            table("Q2", "7"),
        ])
        .unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("Tableaux").unwrap();
        let cell = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(
            cell(0, 0),
            Data::String("Tableau 1 – Q. poste : « Intitulé » & <poste>".into())
        );
        assert_eq!(cell(1, 1), Data::String("Fréquence".into()));
        assert_eq!(cell(2, 1), Data::Float(103.0));
        assert_eq!(cell(2, 2), Data::String("57.9 %".into()));
        assert_eq!(cell(3, 0), Data::String("Non-réponses : 2.".into()));
        assert_eq!(
            cell(5, 0),
            Data::String("Tableau 2 – Q2".into()),
            "a blank line between tables"
        );
        assert_eq!(cell(7, 1), Data::Float(7.0));
    }
}
