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
    /// The paper-era (v0.1) SPHC initialisation χ⁰_i = Σ_j φ(d_ij) Y_ij / Σ_j φ(d_ij), a
    /// weighted average of unit-vector harmonics; excludes `sphc_init_scale`.
    pub sphc_init_normalised: bool,
    /// The optional non-local SPHC-space attention of the geometric block (off by default).
    pub non_local: NonLocalConfig,
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
            sphc_init_normalised: false,
            non_local: NonLocalConfig::default(),
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
        if !self.features.is_multiple_of(self.heads) {
            return fail(format!("features ({}) must be divisible by heads ({})", self.features, self.heads));
        }
        if !self.features.is_multiple_of(self.degrees.len()) {
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
        if self.sphc_init_normalised && self.sphc_init_scale.is_some() {
            return fail("sphc_init_normalised and sphc_init_scale exclude each other; set one".into());
        }
        self.non_local.validate()
    }

    /// Σ_l (2l+1): the number of SPHC components.
    pub fn sphc_width(&self) -> usize {
        crate::spherical::sphc_width(&self.degrees)
    }
}

/// How the non-local gate's threshold χ_cut is chosen (non-local spec §2, step 4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NonLocalMode {
    /// No non-local attention: the model of the main variant.
    #[default]
    Off,
    /// χ_cut is the hyperparameter `chi_cut`.
    Fixed,
    /// χ_cut = 1/N_s, with N_s the number of atoms of the centre's structure.
    Dynamic,
}

/// How the SPHC distance D_ij = |χ_j − χ_i| of the gate is taken (non-local spec §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SphcDistance {
    /// The plain norm (v0.1); a cone at χ_i = χ_j, where its gradient is taken as 0.
    #[default]
    Exact,
    /// √(|Δχ|² + ε²) − ε with ε = [`SMOOTH_SPHC_DISTANCE_EPSILON`]: differentiable everywhere.
    Smooth,
}

/// ε of [`SphcDistance::Smooth`].
pub const SMOOTH_SPHC_DISTANCE_EPSILON: f64 = 1e-3;

/// The paper's non-local SPHC-space attention (`../shared/docs/so3krates-nonlocal.md`): the
/// geometric block also runs over every pair of atoms of a structure, weighted by a gate
/// that opens between atoms whose SPHCs are close relative to the centre's other pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NonLocalConfig {
    pub mode: NonLocalMode,
    /// χ_cut of [`NonLocalMode::Fixed`], positive: a pair is open when its softmax share over
    /// the centre's pairs is below χ_cut (from 1 on, every pair is open).
    pub chi_cut: Option<f64>,
    /// Largest structure (atoms) accepted with the switch on: the all-pairs list costs
    /// O(N²) time and memory.
    pub max_atoms: usize,
    pub sphc_distance: SphcDistance,
}

impl Default for NonLocalConfig {
    fn default() -> Self {
        Self { mode: NonLocalMode::Off, chi_cut: None, max_atoms: 256, sphc_distance: SphcDistance::Exact }
    }
}

impl NonLocalConfig {
    /// True when the geometric block uses the all-pairs list.
    pub fn is_on(&self) -> bool {
        self.mode != NonLocalMode::Off
    }

    fn validate(&self) -> Result<(), CoreError> {
        let fail = |message: String| Err(CoreError::InvalidConfig(format!("non_local: {message}")));
        match (self.mode, self.chi_cut) {
            (NonLocalMode::Fixed, None) => return fail("mode = \"fixed\" needs chi_cut".into()),
            (NonLocalMode::Fixed, Some(chi_cut)) if !(chi_cut.is_finite() && chi_cut > 0.0) => {
                return fail(format!("chi_cut must be positive, got {chi_cut}"));
            }
            (NonLocalMode::Off | NonLocalMode::Dynamic, Some(_)) => {
                return fail("chi_cut only applies to mode = \"fixed\"".into());
            }
            _ => {}
        }
        if self.max_atoms < 2 {
            return fail(format!("max_atoms must be at least 2, got {}", self.max_atoms));
        }
        Ok(())
    }
}
