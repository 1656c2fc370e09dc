//! What the model thread serves: a [`ForcePredictor`] and the facts about it that the
//! request handlers check inputs against ([`ModelInfo`]).

use std::collections::BTreeSet;
use std::path::PathBuf;

use so3krates_core::backend::{load_predictor, CpuBackend, CpuF64Backend, DeviceKind};
use so3krates_core::model::ModelMetadata;
use so3krates_core::{CoreError, ForcePredictor, Model, Units};

/// A predictor as loaded on the model thread, with the elements it was trained on.
pub struct LoadedPredictor {
    pub predictor: Box<dyn ForcePredictor>,
    /// Atomic numbers the model knows; `None` when it accepts every element (an untrained
    /// model, or a predictor that does not say).
    pub elements: Option<BTreeSet<u8>>,
}

impl LoadedPredictor {
    /// A predictor that accepts every element.
    pub fn any_element(predictor: Box<dyn ForcePredictor>) -> Self {
        Self { predictor, elements: None }
    }

    /// What the request handlers need to know about this predictor.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            units: self.predictor.units(),
            cutoff_angstrom: self.predictor.cutoff_angstrom(),
            elements: self.elements.clone(),
        }
    }
}

/// Facts about the served model that inputs are checked against before they are queued.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// Units of the predictions.
    pub units: Units,
    /// Cutoff radius, Å: the neighbour list of the coincident-atom check uses it.
    pub cutoff_angstrom: f64,
    /// Atomic numbers the model was trained on; `None`: every element is accepted.
    pub elements: Option<BTreeSet<u8>>,
}

/// The elements a model file's energy-shift table names; `None` for an empty table.
pub fn trained_elements(metadata: &ModelMetadata) -> Option<BTreeSet<u8>> {
    let elements: BTreeSet<u8> = metadata.energy_shifts.keys().copied().collect();
    (!elements.is_empty()).then_some(elements)
}

/// A factory for the model thread that loads the model file `path` on `device`.
///
/// The CPU backends are loaded once; for a GPU device the metadata (trained elements) is
/// read through a second, CPU-side load of the same file.
pub fn model_file_loader(
    path: PathBuf,
    device: DeviceKind,
) -> impl FnOnce() -> Result<LoadedPredictor, CoreError> + Send + 'static {
    move || match device {
        DeviceKind::Cpu => {
            let model = Model::<CpuBackend>::load(&path, &Default::default())?;
            let elements = trained_elements(model.metadata());
            Ok(LoadedPredictor { predictor: Box::new(model), elements })
        }
        DeviceKind::CpuF64 => {
            let model = Model::<CpuF64Backend>::load(&path, &Default::default())?;
            let elements = trained_elements(model.metadata());
            Ok(LoadedPredictor { predictor: Box::new(model), elements })
        }
        DeviceKind::Wgpu | DeviceKind::Cuda => {
            let predictor = load_predictor(&path, device)?;
            let (_, metadata) = so3krates_core::model_file::load::<CpuBackend>(&path, &Default::default())?;
            Ok(LoadedPredictor { predictor, elements: trained_elements(&metadata) })
        }
    }
}
