//! The files of a run folder.
//!
//! ```text
//! RUN/
//!   config.toml            the config used, paths made absolute
//!   splits.json            frame indices of the train / valid / test split
//!   best.so3krates         the model with the best validation loss: the one to use
//!   metrics.csv            one row per validation
//!   learning_curve.png     losses and validation errors against the step
//!   test_metrics.json      errors of best.so3krates on the test split
//!   checkpoints/latest.ckpt  everything --resume needs
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::checkpoint::latest_path;
use crate::metrics::METRICS_FILE;
use crate::plot::PLOT_FILE;
use crate::splits::SPLITS_FILE;

/// File name of the best model in a run folder.
pub const BEST_MODEL_FILE: &str = "best.so3krates";
/// File name of the config copy in a run folder.
pub const CONFIG_FILE: &str = "config.toml";
/// File name of the test errors in a run folder.
pub const TEST_METRICS_FILE: &str = "test_metrics.json";

/// Paths inside one run folder.
#[derive(Clone, Debug)]
pub struct RunFolder {
    pub dir: PathBuf,
}

impl RunFolder {
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf() }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }

    pub fn best_model(&self) -> PathBuf {
        self.dir.join(BEST_MODEL_FILE)
    }

    pub fn checkpoint(&self) -> PathBuf {
        latest_path(&self.dir)
    }

    pub fn test_metrics(&self) -> PathBuf {
        self.dir.join(TEST_METRICS_FILE)
    }

    pub fn plot(&self) -> PathBuf {
        self.dir.join(PLOT_FILE)
    }

    /// Every file a run writes (for `--overwrite`).
    pub fn files(&self) -> Vec<PathBuf> {
        vec![
            self.config(),
            self.dir.join(SPLITS_FILE),
            self.best_model(),
            self.dir.join(METRICS_FILE),
            self.plot(),
            self.test_metrics(),
            self.checkpoint(),
        ]
    }

    /// True if the folder already holds (part of) a run.
    pub fn holds_a_run(&self) -> bool {
        self.config().exists() || self.checkpoint().exists()
    }
}

/// A `--model` argument: a model file, or a run folder (its `best.so3krates`).
/// Returns the model file and the run folder, if one was given.
pub fn resolve_model(path: &Path) -> Result<(PathBuf, Option<RunFolder>)> {
    if path.is_dir() {
        let run = RunFolder::new(path);
        let model = run.best_model();
        if !model.is_file() {
            bail!(
                "{} is a folder without {BEST_MODEL_FILE}: not a finished run folder (give a run \
                 folder or a model file)",
                path.display()
            );
        }
        Ok((model, Some(run)))
    } else if path.is_file() {
        Ok((path.to_path_buf(), None))
    } else {
        bail!("--model {}: no such file or folder", path.display())
    }
}
