//! A trained (or freshly initialised) model ready for inference: energies, forces, stress.

use std::collections::BTreeMap;

use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::ModelConfig;
use crate::error::CoreError;
use crate::graph::Batch;
use crate::network::So3krates;
use crate::structure::Structure;
use crate::tensors::{to_f64_vec, zeros};

/// Units of a model's energies and lengths, as declared by its training data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Units {
    /// Energy unit, e.g. "eV" or "kcal/mol". Forces are in energy/length.
    pub energy: String,
    /// Length unit; always "Å" for models of this crate.
    pub length: String,
}

impl Default for Units {
    fn default() -> Self {
        Self { energy: "eV".to_string(), length: "Å".to_string() }
    }
}

/// Everything besides the weights that a model file carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMetadata {
    pub config: ModelConfig,
    /// Per-element energy shift μ_Z added to the network energy, in `units.energy`.
    /// Empty for an untrained model, which then accepts every element.
    pub energy_shifts: BTreeMap<u8, f64>,
    pub units: Units,
}

impl ModelMetadata {
    /// Metadata of an untrained model: no shifts, energies in eV.
    pub fn untrained(config: ModelConfig) -> Self {
        Self { config, energy_shifts: BTreeMap::new(), units: Units::default() }
    }

    /// Σ_i μ_(z_i) for one structure; an element without a shift is an error unless the
    /// table is empty.
    pub fn energy_shift(&self, numbers: &[u8]) -> Result<f64, CoreError> {
        if self.energy_shifts.is_empty() {
            return Ok(0.0);
        }
        numbers.iter().try_fold(0.0, |sum, z| {
            self.energy_shifts.get(z).map(|mu| sum + mu).ok_or(CoreError::UnknownElement(*z))
        })
    }
}

/// Energy, forces and (for periodic structures, when asked) stress of one structure.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Total energy, in the model's energy unit, including the element shifts.
    pub energy: f64,
    /// Forces −∂E/∂R, shape (n_atoms, 3), in energy unit per Å.
    pub forces: Vec<[f64; 3]>,
    /// Stress σ = (1/V) ∂E/∂ε (ASE's sign: positive when the cell wants to shrink),
    /// in energy unit per Å³; `None` unless requested and the structure is periodic.
    pub stress: Option<[[f64; 3]; 3]>,
}

/// Anything that gives energies and forces for structures: the So3krates model on any
/// backend, or an analytic potential in tests of the MD crate.
pub trait ForcePredictor {
    /// Predictions for each structure, in the order given.
    fn predict(&self, structures: &[Structure], stress: bool) -> Result<Vec<Prediction>, CoreError>;

    /// Cutoff radius in Å beyond which atoms do not interact directly.
    fn cutoff_angstrom(&self) -> f64;

    /// Units of the predictions.
    fn units(&self) -> Units;
}

/// The So3krates network with its metadata, on backend `B`, ready for inference.
#[derive(Debug)]
pub struct Model<B: Backend> {
    /// The network lifted to the autodiff backend (parameters do not track gradients;
    /// positions do, for forces).
    network: So3krates<Autodiff<B>>,
    metadata: ModelMetadata,
    device: B::Device,
}

impl<B: Backend> Model<B> {
    /// A model with freshly initialised weights (seed from the config) and no shifts.
    pub fn new(config: ModelConfig, device: &B::Device) -> Result<Self, CoreError> {
        config.validate()?;
        let network = So3krates::<B>::new(&config, device);
        Ok(Self::from_network(network, ModelMetadata::untrained(config), device))
    }

    /// Wraps a network (e.g. from training) with its metadata.
    pub fn from_network(network: So3krates<B>, metadata: ModelMetadata, device: &B::Device) -> Self {
        let network = So3krates::<Autodiff<B>>::from_inner(network).no_grad();
        Self { network, metadata, device: device.clone() }
    }

    /// Loads a model file (see [`crate::model_file`]) onto `device`.
    pub fn load(path: &std::path::Path, device: &B::Device) -> Result<Self, CoreError> {
        let (network, metadata) = crate::model_file::load::<B>(path, device)?;
        Ok(Self::from_network(network, metadata, device))
    }

    /// Writes the model file atomically.
    pub fn save(&self, path: &std::path::Path) -> Result<(), CoreError> {
        crate::model_file::save(path, &self.network.valid(), &self.metadata)
    }

    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    pub fn network(&self) -> So3krates<B> {
        self.network.valid()
    }

    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// Energies and forces (no stress) of several structures, evaluated as one batch.
    pub fn energy_forces(&self, structures: &[Structure]) -> Result<Vec<Prediction>, CoreError> {
        self.predict_structures(structures, false)
    }

    /// Predictions for several structures, evaluated as one batch; with `stress`, periodic
    /// structures also get their stress.
    pub fn predict_structures(
        &self,
        structures: &[Structure],
        stress: bool,
    ) -> Result<Vec<Prediction>, CoreError> {
        let mut shifts = Vec::with_capacity(structures.len());
        for (index, structure) in structures.iter().enumerate() {
            let shift = structure.validate().and_then(|_| self.metadata.energy_shift(&structure.numbers));
            shifts.push(shift.map_err(|e| CoreError::InBatch { index, source: Box::new(e) })?);
        }
        let batch = Batch::from_structures(structures, &self.metadata.config)?;
        let volumes: Vec<Option<f64>> =
            structures.iter().map(|s| s.is_periodic().then(|| s.volume()).flatten()).collect();
        self.predict_batch(&batch, &shifts, &volumes, stress)
    }

    /// Predictions for a prepared batch. `shifts` are the per-structure energy shifts and
    /// `volumes` the cell volumes (Å³) of periodic structures.
    pub fn predict_batch(
        &self,
        batch: &Batch,
        shifts: &[f64],
        volumes: &[Option<f64>],
        stress: bool,
    ) -> Result<Vec<Prediction>, CoreError> {
        let n_structures = batch.n_structures();
        let graph = batch.to_tensors::<Autodiff<B>>(&self.device);
        let positions = batch.positions_tensor::<Autodiff<B>>(&self.device).require_grad();
        let strain =
            stress.then(|| zeros::<Autodiff<B>, 3>([n_structures, 3, 3], &self.device).require_grad());

        let energies = self.network.forward(positions.clone(), strain.clone(), &graph);
        let gradients = energies.clone().sum().backward();

        let energies = to_f64_vec(energies.inner());
        let forces = match positions.grad(&gradients) {
            Some(gradient) => to_f64_vec(gradient.neg()),
            None => vec![0.0; 3 * batch.n_atoms()],
        };
        let virials = match strain.as_ref().and_then(|s| s.grad(&gradients)) {
            Some(gradient) => to_f64_vec(gradient),
            None => vec![0.0; 9 * n_structures],
        };
        if energies.len() != n_structures
            || forces.len() != 3 * batch.n_atoms()
            || virials.len() != 9 * n_structures
        {
            return Err(CoreError::Numerical("the backend returned results of the wrong size".to_string()));
        }

        let mut predictions = Vec::with_capacity(n_structures);
        let mut first_atom = 0;
        for (s, &n_atoms) in batch.atoms_per_structure.iter().enumerate() {
            let atom_forces: Vec<[f64; 3]> = forces[3 * first_atom..3 * (first_atom + n_atoms)]
                .chunks_exact(3)
                .map(|f| [f[0], f[1], f[2]])
                .collect();
            first_atom += n_atoms;

            let stress = match (stress, volumes.get(s).copied().flatten()) {
                (true, Some(volume)) => {
                    let w = &virials[9 * s..9 * s + 9];
                    Some([0, 1, 2].map(|a| [0, 1, 2].map(|b| w[3 * a + b] / volume)))
                }
                _ => None,
            };
            let energy = energies[s] + shifts.get(s).copied().unwrap_or(0.0);

            let finite = energy.is_finite()
                && atom_forces.iter().flatten().all(|f| f.is_finite())
                && stress.iter().flatten().flatten().all(|v| v.is_finite());
            if !finite {
                return Err(CoreError::Numerical(format!(
                    "structure {s}: the model produced a non-finite energy, force or stress"
                )));
            }
            predictions.push(Prediction { energy, forces: atom_forces, stress });
        }
        Ok(predictions)
    }
}

impl<B: Backend> ForcePredictor for Model<B> {
    fn predict(&self, structures: &[Structure], stress: bool) -> Result<Vec<Prediction>, CoreError> {
        self.predict_structures(structures, stress)
    }

    fn cutoff_angstrom(&self) -> f64 {
        self.metadata.config.cutoff_angstrom
    }

    fn units(&self) -> Units {
        self.metadata.units.clone()
    }
}
