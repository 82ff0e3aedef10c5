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
//! Two [`Dialect`]s: the standard one (`,`, decimal point, no byte-order
//! mark) for programs, the files Passerelle reads back and those shaped like
//! LimeSurvey's; and "Excel français" for people, which French Excel opens
//! in columns with its accents: a UTF-8 byte-order mark, `;` between cells,
//! and a decimal comma in every cell that is a plain decimal number
//! (`3.5` is written `3,5`; French Excel would read `3.5` as a date).

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

/// How a file is laid out for whoever opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// RFC 4180 as programs read it: `,`, decimal point, no byte-order mark.
    #[default]
    Standard,
    /// "Excel français": UTF-8 byte-order mark, `;`, decimal comma.
    FrenchExcel,
}

impl Dialect {
    /// The separator between cells.
    pub fn delimiter(self) -> u8 {
        match self {
            Self::Standard => b',',
            Self::FrenchExcel => b';',
        }
    }

    /// A cell as this dialect writes it: a plain decimal number (`-3.25`)
    /// gets a decimal comma in French Excel; anything else is unchanged.
    pub fn cell(self, cell: &str) -> Cow<'_, str> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let plain_decimal = cell
            .strip_prefix('-')
            .unwrap_or(cell)
            .split_once('.')
            .is_some_and(|(whole, fraction)| digits(whole) && digits(fraction));
        if self == Self::FrenchExcel && plain_decimal {
            Cow::Owned(cell.replace('.', ","))
        } else {
            Cow::Borrowed(cell)
        }
    }

    /// What the file starts with: the UTF-8 byte-order mark that tells
    /// Excel the encoding, or nothing.
    fn preamble(self) -> &'static [u8] {
        match self {
            Self::Standard => b"",
            Self::FrenchExcel => "\u{feff}".as_bytes(),
        }
    }
}

/// The output, with the dialect's preamble written before the first byte.
struct Output<W: io::Write> {
    out: W,
    preamble: &'static [u8],
}

impl<W: io::Write> Output<W> {
    fn start(&mut self) -> io::Result<()> {
        if !self.preamble.is_empty() {
            self.out.write_all(self.preamble)?;
            self.preamble = b"";
        }
        Ok(())
    }
}

impl<W: io::Write> io::Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.start()?;
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.start()?;
        self.out.flush()
    }
}

/// A CSV writer that neutralises formulas. Standard dialect unless built
/// otherwise.
pub struct Writer<W: io::Write> {
    inner: csv::Writer<Output<W>>,
    dialect: Dialect,
}

/// Options of a [`Writer`]: the dialect (or only its separator), and
/// whether rows may differ in length.
#[derive(Debug, Clone, Copy)]
pub struct Builder {
    dialect: Dialect,
    delimiter: u8,
    flexible: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            dialect: Dialect::Standard,
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
    /// The dialect's separator, preamble and numbers.
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self.delimiter = dialect.delimiter();
        self
    }

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
                .from_writer(Output {
                    out: output,
                    preamble: self.dialect.preamble(),
                }),
            dialect: self.dialect,
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

    /// Writes one row, every cell neutralised (and its number written
    /// as the dialect wants).
    pub fn write_record<I, T>(&mut self, record: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let dialect = self.dialect;
        self.inner.write_record(
            record
                .into_iter()
                .map(|cell| neutralise(&dialect.cell(cell.as_ref())).into_owned()),
        )
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// The output, flushed (with the preamble even when no row was
    /// written).
    pub fn into_inner(self) -> io::Result<W> {
        let mut output = self.inner.into_inner().map_err(|e| e.into_error())?;
        output.start()?;
        Ok(output.out)
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
    fn every_cell_of_every_row_is_neutralised_and_quoted() {
        let mut w = builder().delimiter(b';').from_writer(Vec::new());
        w.write_record(["nom", "valeur"]).unwrap();
        w.write_record(["=1;2", "-3"]).unwrap();
        w.write_record(vec!["@x".to_string(), "\"q\"".to_string()])
            .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "nom;valeur\n\"'=1;2\";-3\n'@x;\"\"\"q\"\"\"\n");
    }

    #[test]
    fn french_excel_has_a_byte_order_mark_semicolons_and_decimal_commas() {
        let mut w = builder()
            .dialect(Dialect::FrenchExcel)
            .from_writer(Vec::new());
        w.write_record(["Réponse", "moyenne", "version", "note"])
            .unwrap();
        w.write_record(["Oui", "3.25", "1.2.3", "-0.5"]).unwrap();
        w.write_record(["=1.5", "12", "a.5", "."]).unwrap();
        let bytes = w.into_inner().unwrap();
        assert!(bytes.starts_with(&[0xef, 0xbb, 0xbf]), "UTF-8 BOM first");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "Réponse;moyenne;version;note\nOui;3,25;1.2.3;-0,5\n'=1.5;12;a.5;.\n"
        );
        let empty = builder()
            .dialect(Dialect::FrenchExcel)
            .from_writer(Vec::new());
        assert_eq!(empty.into_inner().unwrap(), "\u{feff}".as_bytes());
        let mut standard = builder().dialect(Dialect::Standard).from_writer(Vec::new());
        standard.write_record(["3.25", "Oui"]).unwrap();
        assert_eq!(standard.into_inner().unwrap(), b"3.25,Oui\n");
    }
}
