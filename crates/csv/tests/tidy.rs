//! Every CSV the product writes goes through `passerelle_csv::Writer`:
//! this test fails when a source file of the workspace builds a writer of
//! the `csv` crate itself (or hand-writes CSV with a `text/csv` answer of
//! its own), which would let a formula reach a spreadsheet.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_csv_writer_outside_the_shared_one() {
    // This crate (the writer and this test) aside.
    let own = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .unwrap();
    let crates = own.parent().unwrap().to_path_buf();
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(files.len() > 50, "the workspace's sources are found");
    let forbidden = ["csv::Writer", "csv::WriterBuilder", "WriterBuilder::new"];
    let mut offenders = Vec::new();
    for file in files {
        if file.starts_with(&own) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            // `passerelle_csv::Writer` is the shared writer itself.
            let code = code.replace("passerelle_csv::Writer", "");
            let imports_writer = code.contains("use csv::{") && code.contains("Writer");
            if imports_writer || forbidden.iter().any(|f| code.contains(f)) {
                offenders.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "CSV written without passerelle_csv::Writer (formulas would reach spreadsheets):\n{}",
        offenders.join("\n")
    );
}
