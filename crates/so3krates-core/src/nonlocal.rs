//! The gate of the optional non-local SPHC-space attention (`../shared/docs/so3krates-nonlocal.md`).
//!
//! For every directed pair (i, j) of the all-pairs list of a structure:
//! 1. D_ij = |χ_j − χ_i|, the Euclidean norm over all SPHC components together;
//! 2. s_ij = softmax over i's pairs of +D_ij (SPHC-far pairs get the large shares);
//! 3. φ_χ,ij = f(s_ij / χ_cut), with χ_cut fixed or 1/N_s, and f the C² polynomial cutoff
//!    of degree p = 6: the gate is open (φ_χ > 0) where s_ij < χ_cut.
//!
//! The gate is added to the radial cutoff φ_r in the geometric block only; see
//! [`crate::network`]. It is one scalar per directed pair, shared by all degrees, and not
//! symmetric in i and j.
//!
//! Where the spec leaves a choice (its §9), this implementation takes:
//! - two lists, not v0.1's single one: the local list drives χ⁰, the feature block and φ_r;
//!   the all-pairs list ([`crate::graph::Batch::all_pairs`]) only the geometric block. Same
//!   numbers as v0.1 with a global list, less work in the feature block.
//! - far pairs see main's raw radial basis (continuous through r_cut); v0.1's φ_r-weighted
//!   basis is not offered.
//! - χ⁰: zero (main), λ-scaled, or v0.1's normalised average (`sphc_init_normalised`). With
//!   the dynamic rule use the normalised one: from χ⁰ = 0 the gates start shut and, having zero
//!   gradient there, stay shut (measured in docs/benchmarks.md).
//! - D: the exact norm (v0.1; zero gradient at D = 0) by default; `sphc_distance = "smooth"`
//!   (√(|Δχ|² + ε²) − ε) removes the kink at Δχ = 0 for smoother forces.
//! - one gate for all heads and degrees, no temperature: as v0.1.
//! - the softmax runs per centre on dense rows, one group of rows per structure size, so no
//!   padding enters a denominator; the row maximum is subtracted as a constant.
//! - no pruning and no chunking: the geometric filter runs on every pair, so time and memory
//!   grow as N² per structure; `max_atoms` (default 256) refuses larger structures.
//!
//! Known limits: the energy is not size-separable (a far spectator changes every gate, and
//! the dynamic rule depends on N_s), and periodic structures are refused.

use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;

use crate::config::{ModelConfig, NonLocalConfig, NonLocalMode, SphcDistance, SMOOTH_SPHC_DISTANCE_EPSILON};
use crate::error::CoreError;
use crate::graph::{Batch, GlobalPairTensors};
use crate::network::So3krates;
use crate::structure::Structure;
use crate::tensors::{to_f64_vec, zeros};

/// The threshold rule and distance form of one non-local model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SphcGate {
    threshold: Threshold,
    distance: SphcDistance,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Threshold {
    /// χ_cut, the same for every structure.
    Fixed(f64),
    /// χ_cut = 1/N_s.
    Dynamic,
}

impl SphcGate {
    /// The gate of a validated config; `None` when non-local attention is off.
    pub fn from_config(config: &NonLocalConfig) -> Option<Self> {
        let threshold = match (config.mode, config.chi_cut) {
            (NonLocalMode::Off, _) => return None,
            (NonLocalMode::Dynamic, _) => Threshold::Dynamic,
            (NonLocalMode::Fixed, chi_cut) => Threshold::Fixed(chi_cut?),
        };
        Some(Self { threshold, distance: config.sphc_distance })
    }

    /// φ_χ for every directed pair of the all-pairs list.
    ///
    /// # Shapes
    /// - `difference`: (P_Gu, m_tot), χ_j − χ_i of the layer-input SPHCs per unordered pair
    ///   (the geometric filter's input too, computed once by the layer)
    /// - returns: (2·P_Gu, 1), in [0, 1]
    pub fn forward<B: Backend>(
        &self,
        difference: Tensor<B, 2>,
        global: &GlobalPairTensors<B>,
    ) -> Tensor<B, 2> {
        let device = difference.device();
        let n_unordered = global.pairs.n_unordered;
        let n_directed = 2 * n_unordered;

        let squared_distance = difference.powi_scalar(2).sum_dim(1).reshape([n_unordered]); // (P_Gu,)
        let distance = self.distance(squared_distance);
        let distance = Tensor::cat(vec![distance.clone(), distance], 0); // (2·P_Gu,), symmetric in the pair

        let mut gate = zeros::<B, 1>([n_directed], &device);
        for group in &global.centre_groups {
            let neighbours = group.atoms_in_structure - 1;
            let rows = distance.clone().select(0, group.pairs.clone()).reshape([group.n_centres, neighbours]);
            let shares = softmax_rows(rows);
            let ratio = match self.threshold {
                Threshold::Fixed(chi_cut) => shares.div_scalar(chi_cut),
                Threshold::Dynamic => shares.mul_scalar(group.atoms_in_structure as f64),
            };
            let values = gate_polynomial_tensor(ratio).reshape([group.n_centres * neighbours]);
            gate = gate.select_assign(0, group.pairs.clone(), values, IndexingUpdateOp::Add);
        }
        gate.reshape([n_directed, 1])
    }

    /// D = |Δχ| from S = |Δχ|², with a zero gradient (not NaN) where S = 0.
    fn distance<B: Backend>(&self, squared_distance: Tensor<B, 1>) -> Tensor<B, 1> {
        match self.distance {
            SphcDistance::Exact => {
                let zero = squared_distance.clone().lower_equal_elem(0.0);
                squared_distance.mask_fill(zero.clone(), 1.0).sqrt().mask_fill(zero, 0.0)
            }
            SphcDistance::Smooth => {
                let epsilon = SMOOTH_SPHC_DISTANCE_EPSILON;
                squared_distance.add_scalar(epsilon * epsilon).sqrt().sub_scalar(epsilon)
            }
        }
    }
}

/// How the gates of the pairs beyond the cutoff stand in one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct FarGateStatistics {
    /// Layer index, from 0.
    pub layer: usize,
    /// Directed pairs beyond the cutoff, over all structures.
    pub far_pairs: usize,
    /// Fraction of them with an open gate (φ_χ > 0).
    pub open_fraction: f64,
    /// Mean φ_χ over them.
    pub mean_gate: f64,
}

/// Per layer, the gates of the far pairs of `structures` under `network` (built from
/// `config`): the diagnostic the non-local spec asks training runs to log.
pub fn far_gate_statistics<B: Backend>(
    network: &So3krates<B>,
    config: &ModelConfig,
    structures: &[Structure],
    device: &B::Device,
) -> Result<Vec<FarGateStatistics>, CoreError> {
    let gate = network.non_local_gate.ok_or_else(|| {
        CoreError::InvalidConfig(
            "the model has no non-local attention (model.non_local.mode = \"off\")".into(),
        )
    })?;
    let batch = Batch::from_structures(structures, config)?;
    let graph = batch.to_tensors::<B>(device);
    let (_, layer_sphcs) = network.forward_with_layer_sphcs(batch.positions_tensor(device), None, &graph);
    let Some(global) = &graph.global else {
        return Ok(Vec::new());
    };

    // Unordered pairs from n_local on are the far ones, in both directions.
    let (n_local, n_all) = (graph.local.n_unordered, global.pairs.n_unordered);
    let far = |k: usize| (k % n_all) >= n_local;
    Ok(layer_sphcs
        .into_iter()
        .enumerate()
        .map(|(layer, sphc)| {
            let gates = gate.forward(global.pairs.neighbour_minus_centre(sphc), global); // (2·P_Gu, 1)
            let values: Vec<f64> =
                to_f64_vec(gates).into_iter().enumerate().filter(|&(k, _)| far(k)).map(|(_, g)| g).collect();
            let count = values.len().max(1) as f64;
            FarGateStatistics {
                layer,
                far_pairs: values.len(),
                open_fraction: values.iter().filter(|&&g| g > 0.0).count() as f64 / count,
                mean_gate: values.iter().sum::<f64>() / count,
            }
        })
        .collect())
}

/// Softmax along each row, shifted by the row maximum (a constant for the gradient) so that
/// nothing overflows however large the SPHC distances grow.
///
/// # Shapes
/// - `rows`: (n, m), m ≥ 1
/// - returns: (n, m), each row summing to 1
fn softmax_rows<B: Backend>(rows: Tensor<B, 2>) -> Tensor<B, 2> {
    let shifted = rows.clone() - rows.detach().max_dim(1);
    let weights = shifted.exp();
    weights.clone() / weights.sum_dim(1)
}

/// f(x) = 1 − 28x⁶ + 48x⁷ − 21x⁸ for x < 1, else 0; C² at x = 1 (reference values for tests).
pub fn gate_polynomial(x: f64) -> f64 {
    if x < 1.0 {
        1.0 + x.powi(6) * (-28.0 + x * (48.0 - 21.0 * x))
    } else {
        0.0
    }
}

/// [`gate_polynomial`] elementwise. x is clamped to 1 before the powers, so a large x (up to
/// N_s in the dynamic rule) neither overflows nor leaves a NaN in the gradient.
fn gate_polynomial_tensor<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let closed = x.clone().greater_equal_elem(1.0);
    let x = x.clamp_max(1.0);
    let inner = x.clone().mul_scalar(-21.0).add_scalar(48.0) * x.clone();
    let value = x.powi_scalar(6) * inner.sub_scalar(28.0);
    value.add_scalar(1.0).mask_fill(closed, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_polynomial_takes_the_spec_values_and_is_flat_at_one() {
        assert_eq!(gate_polynomial(0.0), 1.0);
        assert!((gate_polynomial(0.5) - 0.85546875).abs() < 1e-15);
        assert_eq!(gate_polynomial(1.0), 0.0);
        assert_eq!(gate_polynomial(7.0), 0.0);

        // f, f′ and f″ vanish at x = 1: f(1 − h) = 56 h³ + O(h⁴).
        for h in [1e-2, 1e-3] {
            let ratio = gate_polynomial(1.0 - h) / h.powi(3);
            assert!((ratio - 56.0).abs() < 56.0 * 5.0 * h, "f(1 − h)/h³ = {ratio} at h = {h}");
        }
    }
}
