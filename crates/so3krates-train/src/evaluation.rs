//! Errors of predictions against reference labels: MAE and RMSE of energies per structure
//! and of force components (spec §7), and the validation loss.

use anyhow::{Context, Result};
use burn::prelude::Backend;
use serde::{Deserialize, Serialize};
use so3krates_core::model::{Model, Prediction};
use so3krates_core::training::LossWeights;

use crate::dataset::FrameSet;

/// Accumulates absolute and squared errors, in f64.
#[derive(Clone, Debug, Default)]
pub struct ErrorAccumulator {
    energy_abs: f64,
    energy_sq: f64,
    n_energies: usize,
    forces_abs: f64,
    forces_sq: f64,
    n_force_components: usize,
    n_structures: usize,
}

/// Errors of one evaluation, in the data's units (energy, energy/Å).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorMetrics {
    pub energy_mae: f64,
    pub energy_rmse: f64,
    pub forces_mae: f64,
    pub forces_rmse: f64,
    /// Σ_t w_t·MSE_t with normalised weights, as the training loss.
    pub loss: f64,
    pub n_structures: usize,
}

impl ErrorAccumulator {
    /// Adds one structure; missing labels are skipped.
    pub fn add(&mut self, prediction: &Prediction, energy: Option<f64>, forces: Option<&[[f64; 3]]>) {
        self.n_structures += 1;
        if let Some(reference) = energy {
            let error = prediction.energy - reference;
            self.energy_abs += error.abs();
            self.energy_sq += error * error;
            self.n_energies += 1;
        }
        if let Some(reference) = forces {
            for (p, r) in prediction.forces.iter().flatten().zip(reference.iter().flatten()) {
                let error = p - r;
                self.forces_abs += error.abs();
                self.forces_sq += error * error;
                self.n_force_components += 1;
            }
        }
    }

    /// The metrics; NaN where no structure had the label.
    pub fn finish(&self, weights: LossWeights) -> ErrorMetrics {
        let mean = |sum: f64, n: usize| if n == 0 { f64::NAN } else { sum / n as f64 };
        let energy_mse = mean(self.energy_sq, self.n_energies);
        let forces_mse = mean(self.forces_sq, self.n_force_components);
        let total = weights.energy + weights.forces;
        let term = |w: f64, mse: f64| if w == 0.0 { 0.0 } else { w / total * mse };
        ErrorMetrics {
            energy_mae: mean(self.energy_abs, self.n_energies),
            energy_rmse: energy_mse.sqrt(),
            forces_mae: mean(self.forces_abs, self.n_force_components),
            forces_rmse: forces_mse.sqrt(),
            loss: term(weights.energy, energy_mse) + term(weights.forces, forces_mse),
            n_structures: self.n_structures,
        }
    }
}

impl ErrorMetrics {
    /// `E MAE x unit RMSE y, F MAE z unit/Å RMSE w (n structures)`.
    pub fn describe(&self, energy_unit: &str) -> String {
        format!(
            "E MAE {:.4} {energy_unit} RMSE {:.4}, F MAE {:.4} {energy_unit}/Å RMSE {:.4} ({} structures)",
            self.energy_mae, self.energy_rmse, self.forces_mae, self.forces_rmse, self.n_structures
        )
    }
}

/// Predicts every frame of `set` with `model` in batches of `batch_size` structures and
/// compares with the labels. Returns the metrics and the predictions (in the set's order).
pub fn evaluate_frames<B: Backend>(
    model: &Model<B>,
    set: &FrameSet,
    batch_size: usize,
    weights: LossWeights,
) -> Result<(ErrorMetrics, Vec<Prediction>)> {
    let mut accumulator = ErrorAccumulator::default();
    let mut predictions = Vec::with_capacity(set.len());
    let positions: Vec<usize> = (0..set.len()).collect();
    for chunk in positions.chunks(batch_size.max(1)) {
        let frames: Vec<_> = chunk.iter().map(|&k| &set.frames[k]).collect();
        let batch = set.batch(chunk)?.batch;
        let shifts = frames
            .iter()
            .map(|f| model.metadata().energy_shift(&f.graph.structure.numbers))
            .collect::<Result<Vec<_>, _>>()?;
        let volumes: Vec<Option<f64>> = frames.iter().map(|f| f.volume).collect();
        let chunk_predictions = model.predict_batch(&batch, &shifts, &volumes, false).with_context(|| {
            format!("evaluating frames {:?}", frames.iter().map(|f| f.index).collect::<Vec<_>>())
        })?;
        for (frame, prediction) in frames.iter().zip(chunk_predictions) {
            accumulator.add(&prediction, frame.energy, frame.forces.as_deref());
            predictions.push(prediction);
        }
    }
    Ok((accumulator.finish(weights), predictions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_known_errors() {
        let mut acc = ErrorAccumulator::default();
        let p = |e: f64, f: f64| Prediction { energy: e, forces: vec![[f, 0.0, 0.0]], stress: None };
        acc.add(&p(1.0, 1.0), Some(0.0), Some(&[[0.0, 0.0, 0.0]]));
        acc.add(&p(-3.0, 0.0), Some(0.0), Some(&[[0.0, 0.0, 0.0]]));
        let m = acc.finish(LossWeights { energy: 1.0, forces: 3.0 });
        assert_eq!(m.energy_mae, 2.0);
        assert_eq!(m.energy_rmse, 5f64.sqrt());
        assert!((m.forces_mae - 1.0 / 6.0).abs() < 1e-15);
        assert!((m.forces_rmse - (1.0f64 / 6.0).sqrt()).abs() < 1e-15);
        assert!((m.loss - (0.25 * 5.0 + 0.75 / 6.0)).abs() < 1e-15);
        assert_eq!(m.n_structures, 2);
    }
}
