//! The progress bar of `train` (step, loss, ETA) and its summary lines.
//!
//! The bar counts steps when a step limit binds, else wall-clock seconds of the budget.
//! It is drawn on stderr only when stderr is a terminal; summary lines always go to stderr.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the bar measures.
#[derive(Clone, Copy, Debug)]
enum Unit {
    Steps,
    /// Tenths of a second.
    Deciseconds,
}

pub struct Progress {
    bar: ProgressBar,
    unit: Unit,
}

impl Progress {
    /// A bar up to `step_limit` steps, or else up to `wall_limit_seconds`.
    pub fn new(step_limit: Option<u64>, wall_limit_seconds: Option<f64>) -> Self {
        let (length, unit) = match (step_limit, wall_limit_seconds) {
            (Some(steps), _) => (steps, Unit::Steps),
            (None, Some(seconds)) => ((seconds * 10.0).ceil() as u64, Unit::Deciseconds),
            (None, None) => (0, Unit::Steps),
        };
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        let template = match unit {
            Unit::Steps => "[{elapsed_precise}] {wide_bar} {pos}/{len} steps | {msg} | ETA {eta}",
            Unit::Deciseconds => {
                "[{elapsed_precise}] {wide_bar} {percent}% of the time budget | {msg} | ETA {eta}"
            }
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(500));
        Self { bar, unit }
    }

    /// Moves the bar to `step` / `wall_seconds` and shows the loss.
    pub fn update(&self, step: u64, wall_seconds: f64, loss: f64, learning_rate: f64) {
        let position = match self.unit {
            Unit::Steps => step,
            Unit::Deciseconds => (wall_seconds * 10.0) as u64,
        };
        self.bar.set_position(position);
        self.bar.set_message(format!("step {step} loss {loss:.3e} lr {learning_rate:.2e}"));
    }

    /// Prints a line above the bar (or plainly, without a terminal).
    pub fn println(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
