//! The rules of ARCHITECTURE.md that code can check, checked on every test
//! run (rust-analyzer's "tidy" practice): a rule written only in prose
//! drifts; this one fails the build instead.
//!
//! Each rule reads the workspace's Rust sources as text, leaving out test
//! code (`tests/`, `benches/` and everything after a `#[cfg(test)]`).

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `crates/*/src`, with its text up to its tests.
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    let crates = workspace().join("crates");
    let mut stack: Vec<PathBuf> = std::fs::read_dir(&crates)
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
                let name = path.strip_prefix(&crates).unwrap().display().to_string();
                files.push((name, code));
            }
        }
    }
    files.sort();
    files
}

/// `file:line: text` of every line of `files` matching `offends`, leaving
/// out comments.
fn offences(
    files: &[(String, String)],
    keep: impl Fn(&str) -> bool,
    offends: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut found = Vec::new();
    for (name, code) in files.iter().filter(|(name, _)| keep(name)) {
        for (i, line) in code.lines().enumerate() {
            if !line.trim_start().starts_with("//") && offends(line) {
                found.push(format!("{name}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    found
}

fn crate_of(name: &str) -> &str {
    name.split('/').next().unwrap_or("")
}

#[test]
fn the_store_reads_columns_by_name() {
    let positional = |line: &str| {
        line.match_indices("try_get(").any(|(i, m)| {
            line[i + m.len()..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit())
        })
    };
    let found = offences(&sources(), |n| crate_of(n) == "store", positional);
    assert!(
        found.is_empty(),
        "columns read by position ({}); use try_get(\"name\"):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn only_the_policy_compares_roles() {
    let compares = |line: &str| {
        // An account's role (`Role::…`), not a network member's
        // (`NetworkRole::…`, which Réseau's own rules read).
        let mentions_role = line
            .match_indices("Role::")
            .any(|(i, _)| !line[..i].ends_with(|c: char| c.is_ascii_alphanumeric()));
        mentions_role
            && (line.contains("==")
                || line.contains("!=")
                || (line.contains("matches!(") && line.contains("role")))
    };
    let found = offences(
        &sources(),
        |n| !n.starts_with("accounts/src/policy.rs") && !n.starts_with("accounts/src/kinds.rs"),
        compares,
    );
    assert!(
        found.is_empty(),
        "roles compared outside accounts::policy ({}); add a policy Action or scope question:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn no_territory_is_written_in_code() {
    // Codes of the reference as string literals: "dep:29", "reg:53",
    // "epci:…", "com:…", and bare département/région/commune/EPCI codes.
    let literal = |line: &str| {
        if line.contains("example =") {
            return false; // OpenAPI examples document, they decide nothing.
        }
        line.split('"').skip(1).step_by(2).any(|s| {
            // `format!("dep:{code}")` builds a key from data: not a code.
            let prefixed = ["reg:", "dep:", "epci:", "com:", "commune:"]
                .iter()
                .any(|p| {
                    s.strip_prefix(p)
                        .is_some_and(|code| code.starts_with(|c: char| c.is_ascii_alphanumeric()))
                });
            let digits = |n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
            let breton = ["53", "22", "29", "35", "56"].contains(&s);
            prefixed || breton || digits(5) || digits(9)
        })
    };
    let found = offences(
        &sources(),
        // `store::testing` builds the tests' world from real communes.
        |n| matches!(crate_of(n), "web" | "store" | "cli") && n != "store/src/testing.rs",
        literal,
    );
    assert!(
        found.is_empty(),
        "territory codes written in code ({}); take them from the loaded reference or the viewer's scope:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn sockets_are_opened_by_maintained_clients_only() {
    let found = offences(&sources(), |_| true, |line| line.contains("TcpStream"));
    assert!(
        found.is_empty(),
        "hand-written network clients ({}); use a maintained crate (ureq, lettre):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn csv_is_written_by_the_shared_writer_only() {
    // `passerelle_csv::Writer` neutralises spreadsheet formulas; a writer
    // of the `csv` crate built anywhere else would let them through.
    let builds_writer = |line: &str| {
        let line = line.replace("passerelle_csv::Writer", "");
        ["csv::Writer", "csv::WriterBuilder", "WriterBuilder::new"]
            .iter()
            .any(|w| line.contains(w))
            || (line.contains("use csv::{") && line.contains("Writer"))
    };
    let found = offences(&sources(), |n| crate_of(n) != "csv", builds_writer);
    assert!(
        found.is_empty(),
        "CSV written without passerelle_csv::Writer ({}); formulas would reach spreadsheets:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn web_functions_are_short() {
    // Handlers parse → call → render; a page's view is built from named
    // pieces. rustfmt closes a function with `}` at its own indentation.
    const MAX: usize = 90;
    let mut long = Vec::new();
    for (name, code) in sources() {
        if !name.starts_with("web/src/") {
            continue;
        }
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let text = line.trim_start();
            let opens = ["", "pub ", "pub(crate) ", "pub(super) "]
                .iter()
                .any(|vis| {
                    text.starts_with(&format!("{vis}fn "))
                        || text.starts_with(&format!("{vis}async fn "))
                });
            if !opens || text.ends_with(';') || text.ends_with('}') {
                continue;
            }
            let close = format!("{}}}", &line[..line.len() - text.len()]);
            if let Some(end) = lines[i..].iter().position(|l| *l == close)
                && end + 1 > MAX
            {
                long.push(format!("{name}:{}: {} lines: {text}", i + 1, end + 1));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX} lines in crates/web/src ({}); split them into parse → call → render pieces:\n{}",
        long.len(),
        long.join("\n")
    );
}
