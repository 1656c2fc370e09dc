//! # so3krates-md
//!
//! Moves atoms with any [`ForcePredictor`](so3krates_core::ForcePredictor): the So3krates
//! model on any backend, or the analytic Lennard-Jones potential that validates the
//! integrators on their own.
//!
//! - [`integrators`]: velocity Verlet (NVE) and Langevin BAOAB (NVT), and the run loop;
//! - [`state`]: positions, velocities, Maxwell–Boltzmann initialisation, kinetic energy and
//!   temperature;
//! - [`relax`]: FIRE geometry relaxation to a force threshold;
//! - [`output`]: extended XYZ trajectories (ASE reads them) and the thermo log;
//! - [`ipi`]: the i-PI socket client, so that i-PI and ASE can drive our model;
//! - [`potential`]: the predictor in MD units, [`lennard_jones`]: the analytic potential.
//!
//! Units: Å, fs, amu and eV throughout (velocities in Å/fs, temperatures in K); a model's own
//! energy unit (kcal/mol for MD17 models) is converted from its model file ([`units`]).
//! The model builds its neighbour list at every force evaluation, so no list is ever stale.

pub mod error;
pub mod integrators;
pub mod ipi;
pub mod lennard_jones;
pub mod masses;
pub mod output;
pub mod potential;
pub mod relax;
pub mod state;
pub mod units;

pub use error::MdError;
pub use integrators::{simulate, Integrator, Langevin, VelocityVerlet};
pub use lennard_jones::LennardJones;
pub use potential::{Evaluation, Potential};
pub use relax::{relax_fire, FireSettings, Relaxation};
pub use state::MdState;
