//! Labelled frames read from a data file, and frame sets prepared for the network: one
//! neighbour list per frame, built once, and reference labels in f64.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use so3krates_core::config::ModelConfig;
use so3krates_core::graph::{Batch, StructureGraph};
use so3krates_core::io::{read_structures, ExtxyzKeys, LabelledStructure};

use crate::shifts::total_shift;

/// All frames of a data file, in the file's units.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub path: PathBuf,
    pub frames: Vec<LabelledStructure>,
}

impl Dataset {
    /// Reads `.npz`, `.xyz` or `.extxyz` (extended XYZ labels named by `keys`).
    pub fn read(path: &Path, keys: &ExtxyzKeys) -> Result<Self> {
        let frames = read_structures(path, keys).context("cannot read the data file")?;
        if frames.is_empty() {
            bail!("the data file {} holds no frames", path.display());
        }
        Ok(Self { path: path.to_path_buf(), frames })
    }

    /// Checks that the frames at `indices` carry the labels training needs.
    pub fn require_labels(
        &self,
        indices: &[usize],
        energy: bool,
        forces: bool,
        keys: &ExtxyzKeys,
    ) -> Result<()> {
        for &index in indices {
            let frame = &self.frames[index];
            if energy && frame.energy.is_none() {
                bail!(
                    "{}: frame {index} (0-based) has no energy (extended XYZ key {:?}; set \
                     data.energy_key, or training.energy_weight = 0)",
                    self.path.display(),
                    keys.energy
                );
            }
            if forces && frame.forces.is_none() {
                bail!(
                    "{}: frame {index} (0-based) has no forces (extended XYZ column {:?}; set \
                     data.forces_key, or training.forces_weight = 0)",
                    self.path.display(),
                    keys.forces
                );
            }
        }
        Ok(())
    }
}

/// One frame ready for the network.
#[derive(Clone, Debug)]
pub struct PreparedFrame {
    /// Index of the frame in the data file.
    pub index: usize,
    /// The structure and its neighbour list.
    pub graph: StructureGraph,
    /// Reference total energy, in the data's unit.
    pub energy: Option<f64>,
    /// Reference forces, shape (n_atoms, 3), in energy unit per Å.
    pub forces: Option<Vec<[f64; 3]>>,
    /// Σ_i μ_(z_i) of this frame (0 without shifts).
    pub shift: f64,
    /// Cell volume in Å³ of a periodic frame.
    pub volume: Option<f64>,
}

/// A batch with its regression targets.
#[derive(Clone, Debug)]
pub struct TrainingBatch {
    pub batch: Batch,
    /// Shifted reference energies E − Σ μ, shape (n_structures,).
    pub energies: Vec<f64>,
    /// Reference forces, shape (n_atoms, 3), row-major; zeros where a frame has none.
    pub forces: Vec<f64>,
}

/// The frames of one split, prepared.
#[derive(Clone, Debug, Default)]
pub struct FrameSet {
    pub frames: Vec<PreparedFrame>,
}

impl FrameSet {
    /// Builds the pair lists `model` needs for the frames at `indices`; an empty `shifts`
    /// table means no shifts.
    pub fn prepare(
        dataset: &Dataset,
        indices: &[usize],
        shifts: &BTreeMap<u8, f64>,
        model: &ModelConfig,
    ) -> Result<Self> {
        let frames = indices
            .iter()
            .map(|&index| {
                let labelled = &dataset.frames[index];
                let structure = labelled.structure.clone();
                let context = || format!("{}: frame {index} (0-based)", dataset.path.display());
                let shift = if shifts.is_empty() {
                    0.0
                } else {
                    total_shift(shifts, &structure.numbers).with_context(context)?
                };
                let volume = structure.is_periodic().then(|| structure.volume()).flatten();
                let graph = StructureGraph::new(structure, model).with_context(context)?;
                Ok(PreparedFrame {
                    index,
                    graph,
                    energy: labelled.energy,
                    forces: labelled.forces.clone(),
                    shift,
                    volume,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { frames })
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The batch of the frames at positions `members` (positions within this set).
    pub fn batch(&self, members: &[usize]) -> Result<TrainingBatch> {
        let frames: Vec<&PreparedFrame> = members.iter().map(|&m| &self.frames[m]).collect();
        let batch = Batch::new(&frames.iter().map(|f| &f.graph).collect::<Vec<_>>())?;
        let energies = frames.iter().map(|f| f.energy.unwrap_or(f.shift) - f.shift).collect();
        let forces = frames
            .iter()
            .flat_map(|f| match &f.forces {
                Some(forces) => forces.iter().flatten().copied().collect::<Vec<_>>(),
                None => vec![0.0; 3 * f.graph.structure.len()],
            })
            .collect();
        Ok(TrainingBatch { batch, energies, forces })
    }
}
