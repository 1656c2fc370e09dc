//! # so3krates-train
//!
//! The `so3krates` command: trains So3krates force fields from a config file on
//! quantum-chemistry data (sGDML/MD17 `.npz`, extended XYZ), evaluates them and predicts
//! with them. The library part holds the pieces the binary is made of, one concept per
//! module, so that tests can reach them.
//!
//! Units are those of the data file, declared in the config (`data.energy_unit`; lengths
//! in Å) and stored in the model file. Every metric is reported in them.

pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod ema;
pub mod evaluation;
pub mod grad_clip;
pub mod metrics;
pub mod plot;
pub mod progress;
pub mod rng;
pub mod run_folder;
pub mod shifts;
pub mod splits;
pub mod trainer;

pub use config::TrainConfig;
pub use trainer::{train, StartMode, TrainOutcome};
