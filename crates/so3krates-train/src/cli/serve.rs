//! `so3krates serve`: the HTTP inference server of so3krates-serve, on a model file.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use so3krates_serve::predictor::model_file_loader;
use so3krates_serve::server::{serve_until_signal, ServeSummary};
use so3krates_serve::ServerConfig;
use tracing_subscriber::EnvFilter;

use super::ServeArgs;
use crate::run_folder::resolve_model;

/// Serves until SIGTERM or SIGINT, then drains the requests in flight and returns.
pub fn run(args: &ServeArgs) -> Result<ServeSummary> {
    init_logging(&args.log_level)?;
    let (model_path, _) = resolve_model(&args.model)?;
    if !(args.batch_window_ms.is_finite() && args.batch_window_ms >= 0.0) {
        bail!("--batch-window-ms {} must be a finite number ≥ 0", args.batch_window_ms);
    }
    let config = ServerConfig {
        bind: args.bind,
        batch_window: Duration::from_secs_f64(args.batch_window_ms / 1e3),
        max_batch_atoms: args.max_batch_atoms,
        queue_capacity: args.queue_capacity,
        max_atoms_per_request: args.max_atoms,
        max_body_bytes: args.max_body_bytes,
        ..ServerConfig::default()
    };

    let summary = serve_until_signal(config, model_file_loader(model_path.clone(), args.device))
        .with_context(|| format!("serving {}", model_path.display()))?;
    eprintln!(
        "serve: {} requests ({} errors), {} structures in {} model calls (mean batch {:.2} structures)",
        summary.requests,
        summary.errors,
        summary.structures,
        summary.model_calls,
        summary.mean_batch_structures.unwrap_or(0.0)
    );
    Ok(summary)
}

/// Logs to stderr at `level` (or as RUST_LOG says, when set).
fn init_logging(level: &str) -> Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::new(directives),
        _ => {
            if !["error", "warn", "info", "debug", "trace"].contains(&level) {
                bail!("--log-level {level:?}: choose error, warn, info, debug or trace");
            }
            EnvFilter::new(format!("so3krates_serve={level},so3krates_train={level}"))
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}
