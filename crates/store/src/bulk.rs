//! Many new rows into one table inside a write transaction: the one place
//! where a bulk import differs between the back-ends, so that the rules of
//! the import (what is new, changed, paired, summed) keep one code path.
//!
//! - SQLite: multi-row `INSERT OR FAIL`s on the transaction
//!   (`batch::insert_as`).
//! - PostgreSQL: `COPY … FROM STDIN` (text format), which sqlx's `Any`
//!   driver cannot speak. The rows are copied, on a connection of their
//!   own, into an unlogged work table created for this import; `finish`
//!   then moves them into the real table with one `INSERT … SELECT` on the
//!   transaction, so the import still commits or rolls back whole (and the
//!   triggers that order writes to `activities` run in the transaction).
//!   The work table is dropped afterwards whatever happened (`close`).
//!   Measured in ARCHITECTURE.md ("Bulk imports").

use sqlx::postgres::PgConnection;
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};

use crate::batch::{self, Value};
use crate::{Backend, Database, StoreError};

/// Rows on their way into `table`.
pub(crate) struct BulkInsert {
    table: &'static str,
    columns: &'static [&'static str],
    /// After the rows: `ON CONFLICT …` for an upsert.
    suffix: &'static str,
    copy: Option<Copy>,
}

/// PostgreSQL's side: the connection that copies, the work table, the
/// number of the next row (keeps the file's order).
struct Copy {
    conn: PgConnection,
    work: String,
    line: i64,
    text: Vec<u8>,
}

impl BulkInsert {
    pub(crate) async fn open(
        db: &Database,
        table: &'static str,
        columns: &'static [&'static str],
        suffix: &'static str,
    ) -> Result<Self, StoreError> {
        let copy = match db.backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let mut conn = PgConnection::connect(&db.url).await?;
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let work = format!("{table}_import_{}_{nanos}", std::process::id());
                conn.execute(AssertSqlSafe(format!(
                    "CREATE UNLOGGED TABLE {work} AS SELECT 0::bigint AS line, {} FROM {table} WITH NO DATA",
                    columns.join(", ")
                )))
                .await?;
                Some(Copy {
                    conn,
                    work,
                    line: 0,
                    text: Vec::new(),
                })
            }
        };
        Ok(Self {
            table,
            columns,
            suffix,
            copy,
        })
    }

    /// Writes these rows (SQLite) or copies them to the work table
    /// (PostgreSQL).
    pub(crate) async fn push(
        &mut self,
        tx: &mut AnyConnection,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), StoreError> {
        let Some(copy) = self.copy.as_mut() else {
            // OR FAIL: a multi-row INSERT that may abort keeps a statement
            // journal to undo itself alone, a copy of every page it touches
            // (profiled: most of the writer's time in an import). An import
            // that fails is rolled back whole anyway.
            batch::insert_as(
                tx,
                "INSERT OR FAIL",
                self.table,
                self.columns,
                rows,
                self.suffix,
            )
            .await?;
            return Ok(());
        };
        if rows.is_empty() {
            return Ok(());
        }
        copy.text.clear();
        for row in rows {
            copy.line += 1;
            copy.text
                .extend_from_slice(copy.line.to_string().as_bytes());
            for value in row {
                copy.text.push(b'\t');
                copy_text(&mut copy.text, &value);
            }
            copy.text.push(b'\n');
        }
        let mut copy_in = copy
            .conn
            .copy_in_raw(&format!(
                "COPY {} (line, {}) FROM STDIN",
                copy.work,
                self.columns.join(", ")
            ))
            .await?;
        copy_in.send(copy.text.as_slice()).await?;
        copy_in.finish().await?;
        Ok(())
    }

    /// Moves the copied rows into the table, in the transaction
    /// (PostgreSQL); nothing left to do on SQLite.
    pub(crate) async fn finish(&mut self, tx: &mut AnyConnection) -> Result<(), StoreError> {
        if let Some(copy) = &self.copy {
            let columns = self.columns.join(", ");
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {} ({columns}) SELECT {columns} FROM {} ORDER BY line {}",
                self.table, copy.work, self.suffix
            )))
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    /// Drops the work table (PostgreSQL), after the transaction committed
    /// or rolled back.
    pub(crate) async fn close(self) -> Result<(), StoreError> {
        if let Some(mut copy) = self.copy {
            copy.conn
                .execute(AssertSqlSafe(format!("DROP TABLE IF EXISTS {}", copy.work)))
                .await?;
            copy.conn.close().await?;
        }
        Ok(())
    }
}

/// One value in `COPY`'s text format: `\N` for NULL, backslash escapes
/// for the characters that separate values and rows.
fn copy_text(out: &mut Vec<u8>, value: &Value) {
    let text = match value {
        Value::Text(v) => Some(v.as_str()),
        Value::OptText(v) => v.as_deref(),
        Value::Int(Some(v)) => {
            out.extend_from_slice(v.to_string().as_bytes());
            return;
        }
        Value::Real(Some(v)) => {
            out.extend_from_slice(v.to_string().as_bytes());
            return;
        }
        Value::Int(None) | Value::Real(None) => None,
    };
    let Some(text) = text else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for &b in text.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_separates_and_marks_null() {
        let mut out = Vec::new();
        for v in [
            Value::Text("a\tb\\c\nd\re".into()),
            Value::OptText(None),
            Value::Int(Some(-3)),
            Value::Int(None),
        ] {
            copy_text(&mut out, &v);
            out.push(b'|');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\\tb\\\\c\\nd\\re|\\N|-3|\\N|"
        );
    }
}
