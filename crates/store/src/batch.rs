//! Multi-row statements: one round trip per few hundred rows, which keeps a
//! 35,000-commune import fast on PostgreSQL as well as SQLite.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AssertSqlSafe};

/// Whether a statement binding these nullable numbers may be kept prepared
/// for reuse. sqlx 0.9's `Any` driver sends a NULL `f64` to PostgreSQL as a
/// `real` (its NULL mapping swaps `Real` and `Double`): a statement first
/// prepared with such a NULL would then refuse a value (22P03). Statements
/// that bind one are prepared for this call only; those that bind values
/// only are cached as usual. `tests/nulls.rs` holds every such path.
pub fn cacheable(reals: &[Option<f64>]) -> bool {
    reals.iter().all(Option::is_some)
}

/// A value to bind.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    OptText(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
}

pub fn bind(query: Query<'_, Any, AnyArguments>, value: Value) -> Query<'_, Any, AnyArguments> {
    match value {
        Value::Text(v) => query.bind(v),
        Value::OptText(v) => query.bind(v),
        Value::Int(v) => query.bind(v),
        Value::Real(v) => query.bind(v),
    }
}

/// `$1, $2, …, $n` starting after `offset` placeholders.
pub fn placeholders(offset: usize, n: usize) -> String {
    (offset + 1..=offset + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `INSERT INTO {table} ({columns}) VALUES (…), (…) {suffix}` over all
/// rows, in chunks that stay far below both back-ends' parameter limits.
pub async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<(), sqlx::Error> {
    insert_as(conn, "INSERT", table, columns, rows, suffix).await
}

/// The same with another verb: `INSERT OR FAIL` for SQLite's bulk imports
/// (`bulk`), whose transaction is rolled back whole on any failure.
pub(crate) async fn insert_as(
    conn: &mut AnyConnection,
    verb: &str,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<(), sqlx::Error> {
    // sqlx binds each SQLite `$n` by looking its name up with
    // sqlite3_bind_parameter_name, which walks the statement's parameter
    // list: binding costs grew with the square of the parameters (profiled:
    // 47 % of a bulk import at 2,000 per statement, 22 % at 400). Anonymous
    // `?` have no name to walk, so SQLite gets those; PostgreSQL needs `$n`.
    const MAX_PARAMS: usize = 2000;
    let anonymous = conn.backend_name() == "SQLite";
    let per_chunk = (MAX_PARAMS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    let statement = |rows: &mut std::iter::Peekable<std::vec::IntoIter<Vec<Value>>>| {
        rows.peek()?;
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_chunk).collect();
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| {
                if anonymous {
                    format!("({})", vec!["?"; columns.len()].join(", "))
                } else {
                    format!("({})", placeholders(i * columns.len(), columns.len()))
                }
            })
            .collect();
        let sql = format!(
            "{verb} INTO {table} ({}) VALUES {} {suffix}",
            columns.join(", "),
            tuples.join(", ")
        );
        let reals: Vec<Option<f64>> = chunk
            .iter()
            .flatten()
            .filter_map(|v| match v {
                Value::Real(r) => Some(*r),
                _ => None,
            })
            .collect();
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(cacheable(&reals));
        for value in chunk.into_iter().flatten() {
            query = bind(query, value);
        }
        Some(query)
    };
    // The next statement's values are bound while the database runs this
    // one (SQLite runs in a thread of its own, PostgreSQL in its server):
    // binding and running took turns before, each idle half the time
    // (profiled on a bulk import).
    let mut next = statement(&mut rows);
    while let Some(query) = next.take() {
        let bind_next = async {
            tokio::task::yield_now().await;
            statement(&mut rows)
        };
        let (done, following) = tokio::join!(query.execute(&mut *conn), bind_next);
        done?;
        next = following;
    }
    Ok(())
}

/// The rows of `{sql_before} IN (…)` over all `keys`, a few hundred per
/// statement; anonymous `?` on SQLite, as for `insert` (measured: looking
/// up 100,000 keys 500 at a time took 43 s with `$n`).
pub async fn select_in(
    conn: &mut AnyConnection,
    sql_before: &str,
    keys: &[String],
) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    let anonymous = conn.backend_name() == "SQLite";
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        let marks = if anonymous {
            vec!["?"; chunk.len()].join(", ")
        } else {
            placeholders(0, chunk.len())
        };
        let mut query = sqlx::query(AssertSqlSafe(format!("{sql_before} IN ({marks})")));
        for key in chunk {
            query = query.bind(key.clone());
        }
        out.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Runs `{sql_before} IN (…)` for each chunk of `keys`, after binding the
/// `leading` values (the `$1…` that `sql_before` uses).
pub async fn for_each_key_chunk(
    conn: &mut AnyConnection,
    sql_before: &str,
    leading: &[Value],
    keys: &[String],
) -> Result<(), sqlx::Error> {
    for chunk in keys.chunks(1000) {
        let sql = format!(
            "{sql_before} IN ({})",
            placeholders(leading.len(), chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in leading {
            query = bind(query, value.clone());
        }
        for key in chunk {
            query = query.bind(key.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
