//! The one CSV writer of Passerelle. Every CSV file the product writes —
//! downloads, command-line exports, the files of records it reads back —
//! goes through [`Writer`], so that no cell reaches a spreadsheet as a
//! formula (OWASP "CSV injection", ASVS 5.0 1.2.10).
//!
//! A cell whose first character is `=`, `+`, `-`, `@`, a tab, a carriage
//! return, a line feed or NUL is written with a leading `'`: spreadsheets
//! then show it as text. Two kinds of cell are left as they are:
//!
//! - **Numbers.** A cell starting with `+` or `-` made only of digits,
//!   decimal points or commas, spaces (no-break ones included) and `%`,
//!   with at least one digit — a negative count `-3`, a share `-1,5 %`, a
//!   phone number `+33 6 12 34 56 78` — cannot call a function or name a
//!   cell (both need letters or other operators), so it stays a number for
//!   whoever opens the file. `-1+1`, `-A1`, `+cmd` are neutralised.
//! - **Cells already starting with `'`** and not followed by one of the
//!   characters above are text already.
//!
//! The rule is reversible: a cell made of apostrophes followed by one of
//! those characters gets one more apostrophe, and [`restore`] takes exactly
//! one away. The readers of Passerelle's own formats (places, activity
//! records, survey responses) call `restore` on every cell, so a file
//! exported and imported again is unchanged.
//!
//! Quoting (separators, quotes, line breaks inside a cell) is RFC 4180, by
//! the `csv` crate.
//!
//! Two dialects ([`Dialect`]): the standard one for machines (UTF-8, `,`,
//! decimal point), and "Excel français" for files offered to people, which
//! French Excel opens as columns with their accents: a UTF-8 byte order
//! mark, `;` between cells, a decimal comma.

use std::borrow::Cow;
use std::io;

pub use csv::Error;

/// Characters that make a spreadsheet read a cell as a formula (or, for the
/// control characters, hide what comes next) when they come first.
const TRIGGERS: [char; 8] = ['=', '+', '-', '@', '\t', '\r', '\n', '\0'];

/// A cell starting with `+` or `-` that is only a number: sign, digits,
/// decimal separators, spaces and `%`, with a digit.
pub fn is_number(cell: &str) -> bool {
    let Some(rest) = cell.strip_prefix(['+', '-']) else {
        return false;
    };
    rest.chars().any(|c| c.is_ascii_digit())
        && rest.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '%' | '\u{a0}' | '\u{202f}')
        })
}

/// The cell as it must be written: with a leading `'` when a spreadsheet
/// would take it for a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let after_quotes = cell.trim_start_matches('\'');
    let dangerous = after_quotes.starts_with(TRIGGERS) && !is_number(after_quotes);
    if dangerous {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell as it was before [`neutralise`]: one leading `'` fewer when
/// apostrophes are followed by a formula character. Readers of the files
/// Passerelle writes call it on every cell.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if neutralise(rest).len() != rest.len() => rest,
        _ => cell,
    }
}

/// How a file is written for whoever opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// RFC 4180 as programs expect it: UTF-8 without BOM, `,`, `12.5`.
    Standard,
    /// What French Excel opens as columns: UTF-8 with a BOM (without it
    /// Excel reads Windows-1252 and breaks accents), `;` (the list
    /// separator of French Windows), `12,5`.
    FrenchExcel,
}

impl Dialect {
    pub fn delimiter(self) -> u8 {
        match self {
            Self::Standard => b',',
            Self::FrenchExcel => b';',
        }
    }

    /// A number with at most `decimals` decimals (trailing zeros dropped),
    /// with the dialect's decimal separator and no thousands separator.
    pub fn decimal(self, x: f64, decimals: usize) -> String {
        let text = format!("{x:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        };
        let text = if text == "-0" { "0".to_string() } else { text };
        match self {
            Self::Standard => text,
            Self::FrenchExcel => text.replace('.', ","),
        }
    }

    /// A writer of this dialect (the BOM written first when it has one).
    pub fn writer<W: io::Write>(self, mut output: W) -> io::Result<Writer<W>> {
        if self == Self::FrenchExcel {
            output.write_all("\u{feff}".as_bytes())?;
        }
        Ok(builder()
            .delimiter(self.delimiter())
            .flexible(true)
            .from_writer(output))
    }
}

/// A CSV writer that neutralises formulas. Separator `,` unless built
/// otherwise.
pub struct Writer<W: io::Write> {
    inner: csv::Writer<W>,
}

/// Options of a [`Writer`]: the separator, and whether rows may differ in
/// length.
#[derive(Debug, Clone, Copy)]
pub struct Builder {
    delimiter: u8,
    flexible: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            delimiter: b',',
            flexible: false,
        }
    }
}

/// Options for a [`Writer`] other than the defaults.
pub fn builder() -> Builder {
    Builder::default()
}

impl Builder {
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Rows of different lengths (several tables in one file).
    pub fn flexible(mut self, yes: bool) -> Self {
        self.flexible = yes;
        self
    }

    pub fn from_writer<W: io::Write>(self, output: W) -> Writer<W> {
        Writer {
            inner: csv::WriterBuilder::new()
                .delimiter(self.delimiter)
                .flexible(self.flexible)
                .from_writer(output),
        }
    }
}

impl Writer<Vec<u8>> {
    /// A writer into memory.
    pub fn in_memory() -> Self {
        Self::from_writer(Vec::new())
    }

    /// The bytes written. Writing to memory cannot fail.
    pub fn into_bytes(self) -> Vec<u8> {
        self.into_inner().expect("writing to memory cannot fail")
    }
}

impl<W: io::Write> Writer<W> {
    pub fn from_writer(output: W) -> Self {
        Builder::default().from_writer(output)
    }

    /// Writes one row, every cell neutralised.
    pub fn write_record<I, T>(&mut self, record: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.inner.write_record(
            record
                .into_iter()
                .map(|cell| neutralise(cell.as_ref()).into_owned()),
        )
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// The output, flushed.
    pub fn into_inner(self) -> io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("-1+1", "'-1+1"),
            ("-A1", "'-A1"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("\n=1", "'\n=1"),
            ("-", "'-"),
            ("'=1", "''=1"),
            ("-3", "-3"),
            ("-1,5 %", "-1,5 %"),
            ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
            ("-0.25", "-0.25"),
            ("12", "12"),
            ("Jeanne", "Jeanne"),
            ("'t Hoeve", "'t Hoeve"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    #[test]
    fn french_excel_has_a_bom_semicolons_and_decimal_commas() {
        let dialect = Dialect::FrenchExcel;
        let mut w = dialect.writer(Vec::new()).unwrap();
        w.write_record(["thème", "part"]).unwrap();
        w.write_record(["Démarche en ligne".to_string(), dialect.decimal(12.5, 1)])
            .unwrap();
        w.write_record(["a;b".to_string(), dialect.decimal(-1.26, 1)])
            .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{feff}thème;part\nDémarche en ligne;12,5\n\"a;b\";-1,3\n"
        );
        let mut w = Dialect::Standard.writer(Vec::new()).unwrap();
        w.write_record(["part", &Dialect::Standard.decimal(100.0, 1)])
            .unwrap();
        assert_eq!(
            String::from_utf8(w.into_inner().unwrap()).unwrap(),
            "part,100\n"
        );
        assert_eq!(Dialect::Standard.decimal(0.04, 1), "0");
        assert_eq!(Dialect::Standard.decimal(-0.04, 1), "0");
        assert_eq!(Dialect::FrenchExcel.decimal(33.333, 1), "33,3");
    }

    #[test]
    fn every_cell_of_every_row_is_neutralised_and_quoted() {
        let mut w = builder().delimiter(b';').from_writer(Vec::new());
        w.write_record(["nom", "valeur"]).unwrap();
        w.write_record(["=1;2", "-3"]).unwrap();
        w.write_record(vec!["@x".to_string(), "\"q\"".to_string()])
            .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "nom;valeur\n\"'=1;2\";-3\n'@x;\"\"\"q\"\"\"\n");
    }
}
