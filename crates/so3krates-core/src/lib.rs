//! # so3krates-core
//!
//! The So3krates machine-learned force field (Frank, Unke & Müller, NeurIPS 2022; the
//! "main" variant of the reference code) on the Burn deep-learning framework: neighbour
//! lists, the equivariant network, energies, forces and stress, force training by nested
//! autodiff, data formats and model files.
//!
//! Units: lengths in Å everywhere inside the model; energies in the unit of the training
//! data, recorded in the model file ([`model::Units`]); forces in energy/Å.
//!
//! ```no_run
//! use so3krates_core::{backend::CpuBackend, config::ModelConfig, model::Model, structure::Structure};
//! let model = Model::<CpuBackend>::new(ModelConfig::default(), &Default::default())?;
//! let water = Structure::molecule(vec![8, 1, 1], vec![[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]);
//! let prediction = &model.energy_forces(&[water])?[0];
//! println!("E = {} eV, F_0 = {:?}", prediction.energy, prediction.forces[0]);
//! # Ok::<(), so3krates_core::error::CoreError>(())
//! ```

pub mod backend;
pub mod blocks;
pub mod config;
pub mod dense;
pub mod error;
pub mod examples;
pub mod graph;
pub mod io;
pub mod model;
pub mod model_file;
pub mod neighbours;
pub mod network;
pub mod nonlocal;
pub mod radial;
pub mod spherical;
pub mod structure;
pub mod tensors;
pub mod training;

pub use config::ModelConfig;
pub use error::CoreError;
pub use model::{ForcePredictor, Model, ModelMetadata, Prediction, Units};
pub use structure::Structure;
