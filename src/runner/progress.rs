//! Progress for long steps: a spinner on a terminal, plain lines elsewhere (CI logs).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Reports the steps of a long job on stderr.
pub struct Progress {
    quiet: bool,
}

/// One step under way; finishing it, or each part of it, prints how long it took.
pub struct Step {
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
    quiet: bool,
    /// The part of the step under way, and when it began.
    part: Mutex<Option<(String, Instant)>>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress { quiet }
    }

    pub fn step(&self, label: impl Into<String>) -> Step {
        let label = label.into();
        let bar = if !self.quiet && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .expect("static template"),
            );
            bar.set_message(label.clone());
            bar.enable_steady_tick(Duration::from_millis(120));
            Some(bar)
        } else {
            if !self.quiet {
                eprintln!("{label} ...");
            }
            None
        };
        Step {
            bar,
            label,
            started: Instant::now(),
            quiet: self.quiet,
            part: Mutex::new(None),
        }
    }

    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }
}

impl Step {
    /// Starts the next part of the step, saying how long the previous part took.
    pub fn say(&self, text: &str) {
        self.finish_part();
        *self.part.lock().expect("progress lock") = Some((text.to_string(), Instant::now()));
        match &self.bar {
            Some(bar) => bar.set_message(format!("{}: {text}", self.label)),
            None if !self.quiet => eprintln!("  {text} ..."),
            None => {}
        }
    }

    fn finish_part(&self) {
        let finished = self.part.lock().expect("progress lock").take();
        if let Some((text, started)) = finished
            && !self.quiet
        {
            let line = format!("  {text}: {:.1}s", started.elapsed().as_secs_f64());
            match &self.bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
    }

    pub fn done(self) {
        self.finish_part();
        let secs = self.started.elapsed().as_secs_f64();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.quiet {
            eprintln!("{} done ({secs:.1}s)", self.label);
        }
    }
}
