//! Progress of a long import on the terminal (`indicatif`): records done,
//! records a second and the time left, in French; nothing at all when
//! standard error is not a terminal (a script, a log file, the tests).

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use passerelle_web::fr;

/// A bar (total known) or a counter (total unknown) on standard error.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
}

impl Progress {
    /// `what`: "Vérification", "Import"…; `total`: the records expected,
    /// when known.
    pub fn new(what: &'static str, total: Option<u64>) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            let template = if total.is_some() {
                "{prefix} [{bar:30}] {percent} % — {msg}, reste {eta_precise}"
            } else {
                "{prefix} {spinner} {msg} ({elapsed_precise})"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
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

    /// `n` more records done.
    pub fn add(&self, n: u64) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.inc(n);
        let done = self.bar.position();
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{} enregistrements, {} par seconde",
            fr::integer(i64::try_from(done).unwrap_or(i64::MAX)),
            fr::integer((done as f64 / seconds) as i64)
        ));
    }

    /// Takes the bar off the terminal.
    pub fn done(self) {
        self.bar.finish_and_clear();
    }
}
