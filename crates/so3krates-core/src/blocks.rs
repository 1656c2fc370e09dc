//! The parts of one So3krates layer (spec §5): filters, the multi-head feature block, the
//! geometric block and the feature–SPHC interaction block.
//!
//! Pairs arrive directed: P = 2·P_u pairs, of which the first P_u are one direction of every
//! unordered pair and the last P_u their reverses (see [`crate::graph`]).

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;
use rand::rngs::StdRng;

use crate::dense::{chunk_sum_matrix, Dense, HeadwiseLinear, TwoLayerMlp};
use crate::graph::PairTensors;
use crate::tensors::zeros;

/// Constant matrices that move between per-component SPHCs and per-degree scalars.
#[derive(Clone, Debug)]
pub struct SphcAlgebra<B: Backend> {
    /// (m_tot, n_l): column t sums the squared components of degree L[t], times 1/√(2l+1).
    pub contraction: Tensor<B, 2>,
    /// (n_l, m_tot): row t is 1 on the components of degree L[t], 0 elsewhere.
    pub expansion: Tensor<B, 2>,
    /// (1, m_tot): (−1)^l per component, the parity of Y under u → −u.
    pub parity: Tensor<B, 2>,
}

impl<B: Backend> SphcAlgebra<B> {
    pub fn new(degrees: &[usize], device: &B::Device) -> Self {
        let n_degrees = degrees.len();
        let width = crate::spherical::sphc_width(degrees);
        let mut contraction = vec![0.0; width * n_degrees];
        let mut expansion = vec![0.0; n_degrees * width];
        let mut parity = vec![0.0; width];
        let mut component = 0;
        for (t, &l) in degrees.iter().enumerate() {
            for _ in 0..2 * l + 1 {
                contraction[component * n_degrees + t] = 1.0 / ((2 * l + 1) as f64).sqrt();
                expansion[t * width + component] = 1.0;
                parity[component] = if l % 2 == 0 { 1.0 } else { -1.0 };
                component += 1;
            }
        }
        Self {
            contraction: crate::tensors::float_tensor(contraction, [width, n_degrees], device),
            expansion: crate::tensors::float_tensor(expansion, [n_degrees, width], device),
            parity: crate::tensors::float_tensor(parity, [1, width], device),
        }
    }

    /// The per-degree invariant c_l(v) = (2l+1)^(−1/2) Σ_m v_lm² (a squared norm, smooth at 0).
    ///
    /// # Shapes
    /// - `sphc`: (n, m_tot)
    /// - returns: (n, n_l)
    pub fn invariants(&self, sphc: Tensor<B, 2>) -> Tensor<B, 2> {
        (sphc.clone() * sphc).matmul(self.contraction.clone())
    }

    /// Repeats one scalar per degree over that degree's 2l+1 components.
    ///
    /// # Shapes
    /// - `per_degree`: (n, n_l)
    /// - returns: (n, m_tot)
    pub fn expand(&self, per_degree: Tensor<B, 2>) -> Tensor<B, 2> {
        per_degree.matmul(self.expansion.clone())
    }
}

/// The filter w_ij = MLP_r(rbf_ij) + MLP_s(δ_ij), symmetric in the pair.
#[derive(Module, Debug)]
pub struct Filter<B: Backend> {
    /// K → F → F.
    pub radial: TwoLayerMlp<B>,
    /// n_l → ⌊F/4⌋ → F.
    pub sphc: TwoLayerMlp<B>,
}

impl<B: Backend> Filter<B> {
    pub fn new(
        radial_functions: usize,
        degrees: usize,
        features: usize,
        rng: &mut StdRng,
        device: &B::Device,
    ) -> Self {
        Self {
            radial: TwoLayerMlp::new(radial_functions, features, features, rng, device),
            sphc: TwoLayerMlp::new(degrees, features / 4, features, rng, device),
        }
    }

    /// Evaluates the filter once per unordered pair and shares it between both directions.
    ///
    /// # Shapes
    /// - `radial_basis`: (P_u, K)
    /// - `sphc_distance`: (P_u, n_l)
    /// - returns: (2·P_u, F)
    pub fn forward(&self, radial_basis: Tensor<B, 2>, sphc_distance: Tensor<B, 2>) -> Tensor<B, 2> {
        let unordered = self.radial.forward(radial_basis) + self.sphc.forward(sphc_distance);
        Tensor::cat(vec![unordered.clone(), unordered], 0)
    }
}

/// Multi-head attention on invariant features, without softmax (spec §5.3).
#[derive(Module, Debug)]
pub struct FeatureBlock<B: Backend> {
    /// Per-head W_Q, shape (H, F/H, F/H).
    pub query: HeadwiseLinear<B>,
    /// Per-head W_K.
    pub key: HeadwiseLinear<B>,
    /// Per-head W_V.
    pub value: HeadwiseLinear<B>,
}

impl<B: Backend> FeatureBlock<B> {
    pub fn new(features: usize, heads: usize, rng: &mut StdRng, device: &B::Device) -> Self {
        let chunk = features / heads;
        Self {
            query: HeadwiseLinear::new(heads, chunk, rng, device),
            key: HeadwiseLinear::new(heads, chunk, rng, device),
            value: HeadwiseLinear::new(heads, chunk, rng, device),
        }
    }

    /// Δx_i = Σ_j α_ij^h v_j^h with α_ij^h = φ(d_ij) Σ_f q_if w_ijf k_jf / √(F/H).
    ///
    /// # Shapes
    /// - `features`: (N, F)
    /// - `filter`: (P, F)
    /// - `cutoff`: (P, 1), φ(d_ij)
    /// - `pairs`: the list whose P directed pairs the filter and cutoff belong to
    /// - returns: (N, F)
    pub fn forward(
        &self,
        features: Tensor<B, 2>,
        filter: Tensor<B, 2>,
        cutoff: Tensor<B, 2>,
        pairs: &PairTensors<B>,
    ) -> Tensor<B, 2> {
        let [n_atoms, n_features] = features.dims();
        let [heads, chunk, _] = self.query.weight.dims();
        let head_sum = chunk_sum_matrix::<B>(n_features, heads, &features.device()); // (F, H)

        let query = self.query.forward(features.clone()).select(0, pairs.directed_centres.clone());
        let key = self.key.forward(features.clone()).select(0, pairs.directed_neighbours.clone());
        let value = self.value.forward(features).select(0, pairs.directed_neighbours.clone());

        let attention =
            (query * filter * key).matmul(head_sum.clone()) * cutoff.div_scalar((chunk as f64).sqrt()); // (P, H)
        let messages = attention.matmul(head_sum.transpose()) * value; // (P, F)

        zeros([n_atoms, n_features], &messages.device()).select_assign(
            0,
            pairs.directed_centres.clone(),
            messages,
            IndexingUpdateOp::Add,
        )
    }
}

/// Attention that moves SPHCs: one head per degree, no value matrix (spec §5.4).
#[derive(Module, Debug)]
pub struct GeometricBlock<B: Backend> {
    /// Per-degree W_Q, shape (n_l, F/n_l, F/n_l).
    pub query: HeadwiseLinear<B>,
    /// Per-degree W_K.
    pub key: HeadwiseLinear<B>,
}

impl<B: Backend> GeometricBlock<B> {
    pub fn new(features: usize, degrees: usize, rng: &mut StdRng, device: &B::Device) -> Self {
        let chunk = features / degrees;
        Self {
            query: HeadwiseLinear::new(degrees, chunk, rng, device),
            key: HeadwiseLinear::new(degrees, chunk, rng, device),
        }
    }

    /// Δχ_(i,l) = Σ_j a_ij^(l) Y_l(u_ij) with a_ij^(l) = w(i, j) Σ_f q_if w_ijf k_jf / √(F/n_l),
    /// where the pair weight w is φ(d_ij) (local model) or φ(d_ij) + φ_χ,ij (non-local).
    ///
    /// # Shapes
    /// - `features`: (N, F)
    /// - `filter`: (P, F)
    /// - `pair_weight`: (P, 1)
    /// - `harmonics`: (P, m_tot), Y(u_ij)
    /// - `pairs`: the list whose P directed pairs the other arguments belong to
    /// - returns: (N, m_tot)
    pub fn forward(
        &self,
        features: Tensor<B, 2>,
        filter: Tensor<B, 2>,
        pair_weight: Tensor<B, 2>,
        harmonics: Tensor<B, 2>,
        pairs: &PairTensors<B>,
        algebra: &SphcAlgebra<B>,
    ) -> Tensor<B, 2> {
        let [n_atoms, n_features] = features.dims();
        let [degrees, chunk, _] = self.query.weight.dims();
        let [_, width] = harmonics.dims();
        let head_sum = chunk_sum_matrix::<B>(n_features, degrees, &features.device()); // (F, n_l)

        let query = self.query.forward(features.clone()).select(0, pairs.directed_centres.clone());
        let key = self.key.forward(features).select(0, pairs.directed_neighbours.clone());

        let coefficients =
            (query * filter * key).matmul(head_sum) * pair_weight.div_scalar((chunk as f64).sqrt()); // (P, n_l)
        let messages = algebra.expand(coefficients) * harmonics; // (P, m_tot)

        zeros([n_atoms, width], &messages.device()).select_assign(
            0,
            pairs.directed_centres.clone(),
            messages,
            IndexingUpdateOp::Add,
        )
    }
}

/// One affine map of [x; c(χ)] that updates features additively and rescales each SPHC
/// degree block (spec §5.6).
#[derive(Module, Debug)]
pub struct InteractionBlock<B: Backend> {
    /// (F + n_l) → (F + n_l), with bias, no activation.
    pub mix: Dense<B>,
}

impl<B: Backend> InteractionBlock<B> {
    pub fn new(features: usize, degrees: usize, rng: &mut StdRng, device: &B::Device) -> Self {
        Self { mix: Dense::new(features + degrees, features + degrees, true, rng, device) }
    }

    /// Returns x″ = x′ + a and χ″ = (1 + b) χ′ where [a; b] = W [x̃′; c(χ′)] + β.
    ///
    /// # Shapes
    /// - `mix_input`: (N, F), x′ or its layer norm
    /// - `features`: (N, F), x′
    /// - `sphc`: (N, m_tot), χ′
    /// - returns: ((N, F), (N, m_tot))
    pub fn forward(
        &self,
        mix_input: Tensor<B, 2>,
        features: Tensor<B, 2>,
        sphc: Tensor<B, 2>,
        algebra: &SphcAlgebra<B>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let [_, n_features] = features.dims();
        let invariants = algebra.invariants(sphc.clone());
        let [_, degrees] = invariants.dims();

        let mixed = self.mix.forward(Tensor::cat(vec![mix_input, invariants], 1));
        let feature_update = mixed.clone().narrow(1, 0, n_features);
        let sphc_scale = algebra.expand(mixed.narrow(1, n_features, degrees)).add_scalar(1.0);

        (features + feature_update, sphc * sphc_scale)
    }
}
