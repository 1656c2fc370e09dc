//! A force predictor seen in the MD unit system (eV, Å).
//!
//! Any [`ForcePredictor`] works: the So3krates model on any backend, or the analytic
//! [`LennardJones`](crate::lennard_jones::LennardJones) potential that tests use. The model
//! builds its neighbour list from the positions at every call, so a list can never be stale
//! however far atoms move.

use so3krates_core::{CoreError, ForcePredictor, Structure};

use crate::error::MdError;
use crate::units::{energy_unit_in_ev, require_angstrom};

/// Energy, forces and stress of one structure in eV, eV/Å and eV/Å³.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Potential energy, eV.
    pub energy_ev: f64,
    /// Forces, eV/Å, shape (n_atoms, 3).
    pub forces_ev_per_angstrom: Vec<[f64; 3]>,
    /// Stress (ASE's sign), eV/Å³; `None` unless asked for and the structure is periodic.
    pub stress_ev_per_angstrom3: Option<[[f64; 3]; 3]>,
}

/// A predictor with its energies converted to eV.
pub struct Potential<'a> {
    predictor: &'a dyn ForcePredictor,
    ev_per_energy_unit: f64,
}

impl<'a> Potential<'a> {
    /// Wraps `predictor`, reading its units; an energy unit without a known conversion or a
    /// length unit other than Å is an error.
    pub fn new(predictor: &'a dyn ForcePredictor) -> Result<Self, MdError> {
        let units = predictor.units();
        require_angstrom(&units.length)?;
        let ev_per_energy_unit = energy_unit_in_ev(&units.energy)?;
        Ok(Self { predictor, ev_per_energy_unit })
    }

    /// Cutoff of the predictor, Å.
    pub fn cutoff_angstrom(&self) -> f64 {
        self.predictor.cutoff_angstrom()
    }

    /// Evaluates one structure; with `stress`, periodic structures also get their stress.
    pub fn evaluate(&self, structure: &Structure, stress: bool) -> Result<Evaluation, MdError> {
        let prediction = self
            .predictor
            .predict(std::slice::from_ref(structure), stress)?
            .into_iter()
            .next()
            .ok_or_else(|| CoreError::Numerical("the predictor returned no result".to_string()))?;

        let scale = self.ev_per_energy_unit;
        Ok(Evaluation {
            energy_ev: prediction.energy * scale,
            forces_ev_per_angstrom: prediction.forces.iter().map(|f| f.map(|c| c * scale)).collect(),
            stress_ev_per_angstrom3: prediction.stress.map(|s| s.map(|row| row.map(|c| c * scale))),
        })
    }
}
