//! Many new rows into one table inside a write transaction: the one place
//! where a bulk import differs between the back-ends, so that the rules of
//! the import (what is new, changed, paired, summed) keep one code path.
//!
//! - SQLite: multi-row `INSERT OR FAIL`s on the transaction
//!   (`batch::insert_as`).
//! - PostgreSQL: `COPY … FROM STDIN` (text format), which sqlx's `Any`
//!   driver cannot speak. Each batch of rows is copied, on a connection of
//!   its own, into an unlogged work table created for this import and
//!   numbered by line; it is then moved into the real table with one
//!   `INSERT … SELECT` of its lines on the transaction, so the import still
//!   commits or rolls back whole (and the triggers that order writes to
//!   `activities` run in the transaction). A batch moves while the next
//!   one is copied: the server checks and indexes the rows of one while
//!   the import prepares the next (measured in ARCHITECTURE.md, "Bulk
//!   imports"). One work table for the whole import, read by line ranges
//!   through its primary key: the transaction keeps a lock on every table
//!   it read until it ends, and a table a batch would have held thousands
//!   of locks at a hundred million records. The work table is dropped
//!   afterwards whatever happened (`close`).

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
/// lines copied but not moved yet, the number of the last line (keeps the
/// file's order).
struct Copy {
    conn: PgConnection,
    work: String,
    copied: Option<(i64, i64)>,
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
                conn.execute(AssertSqlSafe(format!(
                    "ALTER TABLE {work} ADD PRIMARY KEY (line)"
                )))
                .await?;
                Some(Copy {
                    conn,
                    work,
                    copied: None,
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

    /// Writes these rows (SQLite); copies them to the work table and moves
    /// the previous batch in meanwhile (PostgreSQL).
    pub(crate) async fn push(
        &mut self,
        tx: &mut AnyConnection,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), StoreError> {
        let (table, columns, suffix) = (self.table, self.columns, self.suffix);
        let Some(copy) = self.copy.as_mut() else {
            // OR FAIL: a multi-row INSERT that may abort keeps a statement
            // journal to undo itself alone, a copy of every page it touches
            // (profiled: most of the writer's time in an import). An import
            // that fails is rolled back whole anyway.
            batch::insert_as(tx, "INSERT OR FAIL", table, columns, rows, suffix).await?;
            return Ok(());
        };
        if rows.is_empty() {
            return Ok(());
        }
        copy.text.clear();
        let first = copy.line + 1;
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
        let previous = copy.copied.replace((first, copy.line));
        let copy_batch = async {
            let mut copy_in = copy
                .conn
                .copy_in_raw(&format!(
                    "COPY {} (line, {}) FROM STDIN",
                    copy.work,
                    columns.join(", ")
                ))
                .await?;
            copy_in.send(copy.text.as_slice()).await?;
            copy_in.finish().await?;
            Ok::<_, StoreError>(())
        };
        let move_previous = move_in(tx, table, columns, suffix, &copy.work, previous);
        let (copied, moved) = tokio::join!(copy_batch, move_previous);
        copied?;
        moved
    }

    /// Moves the last batch copied into the table, in the transaction
    /// (PostgreSQL); nothing left to do on SQLite.
    pub(crate) async fn finish(&mut self, tx: &mut AnyConnection) -> Result<(), StoreError> {
        if let Some(copy) = &mut self.copy {
            let last = copy.copied.take();
            move_in(tx, self.table, self.columns, self.suffix, &copy.work, last).await?;
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

/// `INSERT … SELECT` of these lines of the work table into `table`, in the
/// file's order, on the transaction. Not kept prepared: the work table is
/// the import's own.
async fn move_in(
    tx: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    suffix: &str,
    work: &str,
    lines: Option<(i64, i64)>,
) -> Result<(), StoreError> {
    let Some((first, last)) = lines else {
        return Ok(());
    };
    let columns = columns.join(", ");
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM {work} \
         WHERE line BETWEEN $1 AND $2 ORDER BY line {suffix}"
    )))
    .bind(first)
    .bind(last)
    .persistent(false)
    .execute(&mut *tx)
    .await?;
    Ok(())
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
