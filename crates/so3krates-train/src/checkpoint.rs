//! The latest checkpoint of a run: everything `--resume` needs to continue exactly as an
//! uninterrupted run would, in one file written atomically (`checkpoints/latest.ckpt`).
//!
//! Contents (MessagePack): the training state (step, best validation loss, plateau and
//! early-stopping counters, wall time, the running training loss) and, as byte blobs, the
//! weights being trained (a model file), Adam's state (burn's optimizer record,
//! `NamedMpkBytesRecorder` in double precision), the moving average of the weights, and
//! the weights and model of the best validation so far (for NaN recovery and for restoring
//! `best.so3krates`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::optim::Optimizer;
use burn::record::{DoublePrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};
use so3krates_core::model_file::write_atomically;
use so3krates_core::network::So3krates;

/// Path of the latest checkpoint inside a run folder.
pub fn latest_path(run_dir: &Path) -> PathBuf {
    run_dir.join("checkpoints").join("latest.ckpt")
}

const FORMAT_NAME: &str = "so3krates-rs training checkpoint";
const FORMAT_VERSION: u32 = 1;

/// Counters and values of the training loop that a resumed run continues from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingState {
    /// Optimisation steps done.
    pub step: u64,
    /// Wall-clock seconds spent so far (training and evaluation, all sessions).
    pub wall_seconds: f64,
    /// Best validation loss of a regular evaluation, and its step.
    pub best_valid_loss: Option<f64>,
    pub best_step: Option<u64>,
    /// Evaluations since the best one (early stopping).
    pub evaluations_since_best: u32,
    /// Evaluations without improvement since the last plateau reduction.
    pub plateau_count: u32,
    /// Product of the plateau reductions so far (1 without).
    pub plateau_factor: f64,
    /// Times the loss or gradient was not finite and the best weights were reloaded.
    pub nan_events: u32,
    /// Sum and count of training losses since the last evaluation.
    pub train_loss_sum: f64,
    pub train_loss_count: u64,
    /// Set when early stopping has ended the run.
    pub early_stopped: bool,
}

impl Default for TrainingState {
    fn default() -> Self {
        Self {
            step: 0,
            wall_seconds: 0.0,
            best_valid_loss: None,
            best_step: None,
            evaluations_since_best: 0,
            plateau_count: 0,
            plateau_factor: 1.0,
            nan_events: 0,
            train_loss_sum: 0.0,
            train_loss_count: 0,
            early_stopped: false,
        }
    }
}

/// A checkpoint as bytes; see the module documentation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    format: String,
    format_version: u32,
    pub state: TrainingState,
    /// Model file of the weights being trained (with the run's metadata).
    #[serde(with = "serde_bytes")]
    pub network: Vec<u8>,
    /// Adam's moments and step counts, keyed by parameter id.
    #[serde(with = "serde_bytes")]
    pub optimizer: Vec<u8>,
    /// Model file of the weight average, when `ema_decay` is set.
    #[serde(with = "serde_bytes")]
    pub average: Option<Vec<u8>>,
    /// Model file of the trained weights at the best validation.
    #[serde(with = "serde_bytes")]
    pub best_network: Option<Vec<u8>>,
    /// The best model file as written to `best.so3krates` (the average, with EMA).
    #[serde(with = "serde_bytes")]
    pub best_model: Option<Vec<u8>>,
}

impl Checkpoint {
    /// Assembles a checkpoint from its parts.
    pub fn new(
        state: TrainingState,
        network: Vec<u8>,
        optimizer: Vec<u8>,
        average: Option<Vec<u8>>,
        best_network: Option<Vec<u8>>,
        best_model: Option<Vec<u8>>,
    ) -> Self {
        Self {
            format: FORMAT_NAME.to_string(),
            format_version: FORMAT_VERSION,
            state,
            network,
            optimizer,
            average,
            best_network,
            best_model,
        }
    }

    /// Writes the checkpoint atomically, creating the folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let bytes = rmp_serde::to_vec_named(self).context("cannot encode the checkpoint")?;
        write_atomically(path, &bytes)?;
        Ok(())
    }

    /// Reads a checkpoint.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read checkpoint {}", path.display()))?;
        let checkpoint: Self = rmp_serde::from_slice(&bytes)
            .with_context(|| format!("{} is not a readable training checkpoint", path.display()))?;
        if checkpoint.format != FORMAT_NAME || checkpoint.format_version != FORMAT_VERSION {
            bail!(
                "{}: checkpoint format {:?} version {} cannot be read by this build (version {FORMAT_VERSION})",
                path.display(),
                checkpoint.format,
                checkpoint.format_version
            );
        }
        Ok(checkpoint)
    }
}

/// Adam (or any optimizer) state as bytes.
pub fn optimizer_to_bytes<I, O>(optimizer: &O) -> Result<Vec<u8>>
where
    I: AutodiffBackend,
    O: Optimizer<So3krates<I>, I>,
{
    let recorder = NamedMpkBytesRecorder::<DoublePrecisionSettings>::default();
    Recorder::<I>::record(&recorder, optimizer.to_record(), ()).context("cannot encode the optimizer state")
}

/// Restores optimizer state from bytes onto `device`.
pub fn optimizer_from_bytes<I, O>(optimizer: O, bytes: Vec<u8>, device: &I::Device) -> Result<O>
where
    I: AutodiffBackend,
    O: Optimizer<So3krates<I>, I>,
{
    let recorder = NamedMpkBytesRecorder::<DoublePrecisionSettings>::default();
    let record =
        Recorder::<I>::load(&recorder, bytes, device).context("cannot decode the optimizer state")?;
    Ok(optimizer.load_record(record))
}
