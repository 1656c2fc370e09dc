//! The `so3krates` command line: `train`, `evaluate`, `predict`.

pub mod evaluate;
pub mod predict;
pub mod train;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use so3krates_core::backend::DeviceKind;

/// Train, evaluate and run So3krates machine-learned force fields.
#[derive(Debug, Parser)]
#[command(name = "so3krates", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model from a config file (see configs/), then test it.
    Train(TrainArgs),
    /// Errors of a model on labelled data: energy and force MAE and RMSE.
    Evaluate(EvaluateArgs),
    /// Energies and forces of the structures of a file, written as extended XYZ.
    Predict(PredictArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The config file (TOML). With --resume it may be left out: the run folder's copy is used.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override a config value, e.g. --set training.n_train=200 (dotted key, TOML value).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Run folder; the same as --set run_dir=RUN.
    #[arg(long, value_name = "RUN")]
    pub run_dir: Option<PathBuf>,
    /// Continue the run in the run folder from its latest checkpoint.
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace the files of a run already in the run folder.
    #[arg(long)]
    pub overwrite: bool,
    /// cpu (f32), cpu-f64, wgpu or cuda (the GPU ones when built with that feature).
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
}

/// Which frames of the data file `evaluate` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    Test,
    Valid,
    Train,
    All,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// Labelled data (.npz, .xyz, .extxyz); default: the run's training data file.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Frames to use. Default: the run's test split when --data is its training data file,
    /// else all frames.
    #[arg(long, value_enum)]
    pub split: Option<SplitArg>,
    /// Also write per-structure energies and errors to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub per_structure: Option<PathBuf>,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
    /// Structures per forward pass.
    #[arg(long, default_value_t = 50)]
    pub batch_size: usize,
    /// Extended XYZ key of the reference energy (default: the run's, else "energy").
    #[arg(long)]
    pub energy_key: Option<String>,
    /// Extended XYZ column of the reference forces (default: the run's, else "forces").
    #[arg(long)]
    pub forces_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A run folder (its best.so3krates is used) or a model file.
    #[arg(long, value_name = "RUN|FILE")]
    pub model: PathBuf,
    /// Structures to predict (.npz, .xyz, .extxyz); labels in it are ignored.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Extended XYZ output with `energy` and a `forces` column.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also predict the stress of periodic structures.
    #[arg(long)]
    pub stress: bool,
    #[arg(long, default_value = "cpu")]
    pub device: DeviceKind,
    /// Structures per forward pass.
    #[arg(long, default_value_t = 50)]
    pub batch_size: usize,
}
