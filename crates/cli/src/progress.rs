//! Progress of a long import on the terminal (`indicatif`): records done,
//! records a second and the time left (from the bytes of the file read),
//! in French; nothing at all when
//! standard error is not a terminal (a script, a log file, the tests).

use std::io::{IsTerminal, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use passerelle_web::fr;

/// A bar on standard error: how far into the file (its bytes, so that
/// the time left is known without reading the file twice), with the
/// records done and records a second.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
}

impl Progress {
    /// `what`: "Vérification", "Import"…; `total`: the file's size in
    /// bytes.
    pub fn new(what: &'static str, total: u64) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {percent} % — {msg}, reste {eta_precise}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(what);
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            bar,
            started: Instant::now(),
        }
    }

    /// `bytes` of the file read, `records` done.
    pub fn at(&self, bytes: u64, records: u64) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_position(bytes);
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{} enregistrements, {} par seconde",
            fr::integer(i64::try_from(records).unwrap_or(i64::MAX)),
            fr::integer((records as f64 / seconds) as i64)
        ));
    }

    /// Takes the bar off the terminal.
    pub fn done(self) {
        self.bar.finish_and_clear();
    }
}

/// A reader that counts the bytes read through it, for `Progress`.
pub struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R> Counted<R> {
    /// `read` counts the bytes read through `inner`.
    pub fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        Self { inner, read }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
