//! The model's hyperparameters (spec §7), with the reference defaults.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::spherical::MAX_DEGREE;

/// Every size of the So3krates network ("main" variant). Lengths are in Å.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// Feature width F; divisible by `heads` and by the number of degrees.
    pub features: usize,
    /// Number of So3krates layers.
    pub layers: usize,
    /// Heads H of the feature block.
    pub heads: usize,
    /// Degrees of the spherical-harmonic coordinates (SPHCs), each in 0..=4.
    pub degrees: Vec<usize>,
    /// Cutoff radius r_cut in Å.
    pub cutoff_angstrom: f64,
    /// Number K of radial basis functions.
    pub radial_functions: usize,
    /// Layer normalisation of the features before both blocks and before the interaction.
    pub layer_norm: bool,
    /// λ of the optional SPHC initialisation χ⁰ = (1/λ) Σ_j φ(d_ij) Y_ij; `None`: χ⁰ = 0.
    pub sphc_init_scale: Option<f64>,
    /// Seed of the weight initialisation.
    pub seed: u64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            features: 132,
            layers: 3,
            heads: 4,
            degrees: vec![1, 2, 3],
            cutoff_angstrom: 5.0,
            radial_functions: 32,
            layer_norm: false,
            sphc_init_scale: None,
            seed: 0,
        }
    }
}

impl ModelConfig {
    /// Checks the constraints between the sizes.
    pub fn validate(&self) -> Result<(), CoreError> {
        let fail = |message: String| Err(CoreError::InvalidConfig(message));
        if self.features == 0 || self.heads == 0 || self.radial_functions == 0 {
            return fail("features, heads and radial_functions must be positive".into());
        }
        if self.degrees.is_empty() {
            return fail("degrees must name at least one degree".into());
        }
        if let Some(l) = self.degrees.iter().find(|&&l| l > MAX_DEGREE) {
            return fail(format!("degree {l} is not supported (0..={MAX_DEGREE})"));
        }
        if self.features % self.heads != 0 {
            return fail(format!("features ({}) must be divisible by heads ({})", self.features, self.heads));
        }
        if self.features % self.degrees.len() != 0 {
            return fail(format!(
                "features ({}) must be divisible by the number of degrees ({})",
                self.features,
                self.degrees.len()
            ));
        }
        if self.features < 4 {
            return fail("features must be at least 4 (the SPHC filter has F/4 hidden units)".into());
        }
        if !(self.cutoff_angstrom.is_finite() && self.cutoff_angstrom > 0.0) {
            return fail(format!("cutoff_angstrom must be positive, got {}", self.cutoff_angstrom));
        }
        if let Some(scale) = self.sphc_init_scale {
            if !(scale.is_finite() && scale > 0.0) {
                return fail(format!("sphc_init_scale must be positive, got {scale}"));
            }
        }
        Ok(())
    }

    /// Σ_l (2l+1): the number of SPHC components.
    pub fn sphc_width(&self) -> usize {
        crate::spherical::sphc_width(&self.degrees)
    }
}
