//! The So3krates network: embedding, layers and energy head (spec §4–§6).

use burn::module::{Module, Param};
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::blocks::{FeatureBlock, Filter, GeometricBlock, InteractionBlock, SphcAlgebra};
use crate::config::ModelConfig;
use crate::dense::{normal, FeatureNorm, TwoLayerMlp};
use crate::graph::{GlobalPairTensors, GraphTensors};
use crate::nonlocal::SphcGate;
use crate::radial::{cosine_cutoff_tensor, radial_basis_tensor, radial_centres, radial_width};
use crate::spherical::spherical_harmonics_tensor;
use crate::tensors::{float_tensor, zeros};

/// Rows of the element embedding table; row z embeds atomic number z.
pub const EMBEDDING_ROWS: usize = 100;

/// Pair quantities shared by all layers, computed once per forward pass.
#[derive(Clone, Debug)]
pub struct PairGeometry<B: Backend> {
    /// (P_u, K) radial basis of the unordered pairs.
    pub radial_basis: Tensor<B, 2>,
    /// (P, 1) cosine cutoff φ(d_ij) of the directed pairs.
    pub cutoff: Tensor<B, 2>,
    /// (P, m_tot) spherical harmonics Y(u_ij) of the directed pairs.
    pub harmonics: Tensor<B, 2>,
}

/// The pair geometry of one forward pass: the local list's and, for a non-local model,
/// the all-pairs list's. `None` where a list has no pairs.
#[derive(Clone, Debug)]
pub struct Geometry<B: Backend> {
    pub local: Option<PairGeometry<B>>,
    pub global: Option<PairGeometry<B>>,
}

/// The all-pairs side of a non-local layer: the gate, the list and its geometry.
struct NonLocalPairs<'a, B: Backend> {
    gate: &'a SphcGate,
    global: &'a GlobalPairTensors<B>,
    geometry: &'a PairGeometry<B>,
}

/// One So3krates layer with its own weights (spec §5).
#[derive(Module, Debug)]
pub struct So3kratesLayer<B: Backend> {
    pub feature_filter: Filter<B>,
    pub geometric_filter: Filter<B>,
    pub feature_block: FeatureBlock<B>,
    pub geometric_block: GeometricBlock<B>,
    pub interaction: InteractionBlock<B>,
    /// Layer norm of x before both blocks (when `layer_norm` is on).
    pub input_norm: Option<FeatureNorm<B>>,
    /// Layer norm of x′ before the interaction block (when `layer_norm` is on).
    pub interaction_norm: Option<FeatureNorm<B>>,
}

impl<B: Backend> So3kratesLayer<B> {
    fn new(config: &ModelConfig, rng: &mut StdRng, device: &B::Device) -> Self {
        let (f, k, n_l) = (config.features, config.radial_functions, config.degrees.len());
        Self {
            feature_filter: Filter::new(k, n_l, f, rng, device),
            geometric_filter: Filter::new(k, n_l, f, rng, device),
            feature_block: FeatureBlock::new(f, config.heads, rng, device),
            geometric_block: GeometricBlock::new(f, n_l, rng, device),
            interaction: InteractionBlock::new(f, n_l, rng, device),
            input_norm: config.layer_norm.then(|| FeatureNorm::new(f, device)),
            interaction_norm: config.layer_norm.then(|| FeatureNorm::new(f, device)),
        }
    }

    /// # Shapes
    /// - `features`: (N, F), `sphc`: (N, m_tot)
    /// - returns: updated ((N, F), (N, m_tot))
    fn forward(
        &self,
        features: Tensor<B, 2>,
        sphc: Tensor<B, 2>,
        local: Option<&PairGeometry<B>>,
        non_local: Option<NonLocalPairs<'_, B>>,
        graph: &GraphTensors<B>,
        algebra: &SphcAlgebra<B>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let block_input = match &self.input_norm {
            Some(norm) => norm.forward(features.clone()),
            None => features.clone(),
        };

        // χ_j − χ_i and c(χ_j − χ_i) per unordered pair: of the all-pairs list when there is
        // one (the local pairs are its first rows), else of the local list.
        let global_difference =
            non_local.as_ref().map(|nl| nl.global.pairs.neighbour_minus_centre(sphc.clone()));
        let global_sphc_distance = global_difference.clone().map(|d| algebra.invariants(d)); // (P_Gu, n_l)

        let mut feature_update = None;
        let mut sphc_update = None;
        if let Some(geometry) = local {
            let local_sphc_distance = match &global_sphc_distance {
                Some(global) => global.clone().narrow(0, 0, graph.local.n_unordered),
                None => algebra.invariants(graph.local.neighbour_minus_centre(sphc.clone())),
            };

            let feature_filter =
                self.feature_filter.forward(geometry.radial_basis.clone(), local_sphc_distance.clone());
            feature_update = Some(self.feature_block.forward(
                block_input.clone(),
                feature_filter,
                geometry.cutoff.clone(),
                &graph.local,
            ));

            if non_local.is_none() {
                let geometric_filter =
                    self.geometric_filter.forward(geometry.radial_basis.clone(), local_sphc_distance);
                sphc_update = Some(self.geometric_block.forward(
                    block_input.clone(),
                    geometric_filter,
                    geometry.cutoff.clone(),
                    geometry.harmonics.clone(),
                    &graph.local,
                    algebra,
                ));
            }
        }

        // Non-local: the geometric block runs over all pairs with weight φ_r + φ_χ.
        if let (Some(nl), Some(difference), Some(global_sphc_distance)) =
            (&non_local, global_difference, global_sphc_distance)
        {
            let weight = nl.geometry.cutoff.clone() + nl.gate.forward(difference, nl.global);
            let geometric_filter =
                self.geometric_filter.forward(nl.geometry.radial_basis.clone(), global_sphc_distance);
            sphc_update = Some(self.geometric_block.forward(
                block_input,
                geometric_filter,
                weight,
                nl.geometry.harmonics.clone(),
                &nl.global.pairs,
                algebra,
            ));
        }

        let features = match feature_update {
            Some(update) => features + update,
            None => features,
        };
        let sphc = match sphc_update {
            Some(update) => sphc + update,
            None => sphc,
        };

        let mix_input = match &self.interaction_norm {
            Some(norm) => norm.forward(features.clone()),
            None => features.clone(),
        };
        self.interaction.forward(mix_input, features, sphc, algebra)
    }
}

/// The complete network: atomic numbers and geometry in, one energy per structure out.
///
/// Energies are in the model's (training data's) energy unit, without the per-element
/// shifts, which live in [`crate::model::Model`].
#[derive(Module, Debug)]
pub struct So3krates<B: Backend> {
    /// Element embedding, shape (100, F), initialised N(0, 1/F).
    pub embedding: Param<Tensor<B, 2>>,
    pub layers: Vec<So3kratesLayer<B>>,
    /// Per-atom energy: F → F, silu, F → 1.
    pub energy_head: TwoLayerMlp<B>,
    /// SPHC degrees (constant).
    pub degrees: Vec<usize>,
    /// Cutoff radius in Å (constant).
    pub cutoff_angstrom: f64,
    /// Number of radial basis functions (constant).
    pub radial_functions: usize,
    /// λ of the χ⁰ initialisation, 0 for χ⁰ = 0 (constant).
    pub sphc_init_scale: f64,
    /// χ⁰ as the φ-weighted average of Y (v0.1), instead of the λ rule (constant).
    pub sphc_init_normalised: bool,
    /// The non-local attention's gate; `None` for the local model.
    #[module(skip)]
    pub non_local_gate: Option<SphcGate>,
}

impl<B: Backend> So3krates<B> {
    /// A new network with weights drawn from `config.seed`; the same seed gives the same
    /// weights on every backend.
    pub fn new(config: &ModelConfig, device: &B::Device) -> Self {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let f = config.features;

        let embedding_values = normal(&mut rng, EMBEDDING_ROWS * f, (1.0 / f as f64).sqrt());
        let embedding = float_tensor(embedding_values, [EMBEDDING_ROWS, f], device);
        let layers = (0..config.layers).map(|_| So3kratesLayer::new(config, &mut rng, device)).collect();
        let energy_head = TwoLayerMlp::new(f, f, 1, &mut rng, device);

        Self {
            embedding: Param::from_tensor(embedding),
            layers,
            energy_head,
            degrees: config.degrees.clone(),
            cutoff_angstrom: config.cutoff_angstrom,
            radial_functions: config.radial_functions,
            sphc_init_scale: config.sphc_init_scale.unwrap_or(0.0),
            sphc_init_normalised: config.sphc_init_normalised,
            non_local_gate: SphcGate::from_config(&config.non_local),
        }
    }

    /// Pair geometry from positions, for the local list and (non-local model) the all-pairs list.
    ///
    /// `strain` (n_structures, 3, 3), when given, deforms every pair vector of structure s
    /// as r → (I + ε_s) r; its gradient is the virial ∂E/∂ε.
    ///
    /// # Shapes
    /// - `positions`: (N, 3) in Å
    pub fn pair_geometry(
        &self,
        positions: Tensor<B, 2>,
        strain: Option<Tensor<B, 3>>,
        graph: &GraphTensors<B>,
        algebra: &SphcAlgebra<B>,
    ) -> Geometry<B> {
        let deform = |vectors: Tensor<B, 2>, pair_structure: &Tensor<B, 1, Int>| match &strain {
            Some(strain) => {
                let [n_pairs, _] = vectors.dims();
                let pair_strain = strain.clone().select(0, pair_structure.clone()); // (P_u, 3, 3)
                let deformation = (pair_strain * vectors.clone().unsqueeze_dim::<3>(1)).sum_dim(2);
                vectors + deformation.reshape([n_pairs, 3])
            }
            None => vectors,
        };

        match &graph.global {
            // The all-pairs list is only built for non-periodic structures: no image offsets.
            Some(global) => {
                let pairs = &global.pairs;
                let vectors = deform(pairs.neighbour_minus_centre(positions), &pairs.structure);
                let n_local = graph.local.n_unordered;
                let local =
                    (n_local > 0).then(|| self.geometry_of(vectors.clone().narrow(0, 0, n_local), algebra));
                let global = (pairs.n_unordered > 0).then(|| self.geometry_of(vectors, algebra));
                Geometry { local, global }
            }
            None => {
                let pairs = &graph.local;
                let local = (pairs.n_unordered > 0).then(|| {
                    // (P_u, 3), r_ij = R_j − R_i + S_ij·cell
                    let vectors = pairs.neighbour_minus_centre(positions) + graph.pair_offsets.clone();
                    self.geometry_of(deform(vectors, &pairs.structure), algebra)
                });
                Geometry { local, global: None }
            }
        }
    }

    /// Distances, radial basis, cutoff and harmonics of pair vectors.
    ///
    /// # Shapes
    /// - `vectors`: (P_u, 3), r_ij in Å of the unordered pairs (none of zero length)
    fn geometry_of(&self, vectors: Tensor<B, 2>, algebra: &SphcAlgebra<B>) -> PairGeometry<B> {
        let device = vectors.device();

        // Coincident atoms are rejected by the neighbour list, so d > 0 here.
        let distances = (vectors.clone() * vectors.clone()).sum_dim(1).sqrt(); // (P_u, 1)
        let directions = vectors / distances.clone();

        let harmonics = spherical_harmonics_tensor(directions, &self.degrees);
        let harmonics = Tensor::cat(vec![harmonics.clone(), harmonics * algebra.parity.clone()], 0);

        let cutoff = cosine_cutoff_tensor(distances.clone(), self.cutoff_angstrom);
        let cutoff = Tensor::cat(vec![cutoff.clone(), cutoff], 0);

        let centres = radial_centres(self.radial_functions, self.cutoff_angstrom);
        let centres = float_tensor(centres, [1, self.radial_functions], &device);
        let width = radial_width(self.radial_functions, self.cutoff_angstrom);
        let radial_basis = radial_basis_tensor(distances, centres, width);

        PairGeometry { radial_basis, cutoff, harmonics }
    }

    /// Energy of every structure of the batch.
    ///
    /// # Shapes
    /// - `positions`: (N, 3) in Å (may require gradients, for forces)
    /// - `strain`: (n_structures, 3, 3) zeros that require gradients, for the virial
    /// - returns: (n_structures,)
    pub fn forward(
        &self,
        positions: Tensor<B, 2>,
        strain: Option<Tensor<B, 3>>,
        graph: &GraphTensors<B>,
    ) -> Tensor<B, 1> {
        self.forward_with_layer_sphcs(positions, strain, graph).0
    }

    /// [`So3krates::forward`], also returning the SPHCs χ each layer received, shape (N, m_tot)
    /// per layer (for diagnostics such as the non-local gates' statistics).
    pub fn forward_with_layer_sphcs(
        &self,
        positions: Tensor<B, 2>,
        strain: Option<Tensor<B, 3>>,
        graph: &GraphTensors<B>,
    ) -> (Tensor<B, 1>, Vec<Tensor<B, 2>>) {
        let device = positions.device();
        let algebra = SphcAlgebra::new(&self.degrees, &device);
        let width = crate::spherical::sphc_width(&self.degrees);

        let mut features = self.embedding.val().select(0, graph.numbers.clone()); // (N, F)
        let mut sphc = zeros([graph.n_atoms, width], &device);

        // Without pairs the attention blocks contribute nothing, but the interaction
        // blocks and the energy head still act on the embedding.
        let geometry = self.pair_geometry(positions, strain, graph, &algebra);
        if let Some(local) = &geometry.local {
            sphc = self.initial_sphc(local, graph, sphc);
        }

        let non_local = || match (&self.non_local_gate, &graph.global, &geometry.global) {
            (Some(gate), Some(global), Some(geometry)) => Some(NonLocalPairs { gate, global, geometry }),
            _ => None,
        };
        let mut layer_sphcs = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            layer_sphcs.push(sphc.clone());
            (features, sphc) =
                layer.forward(features, sphc, geometry.local.as_ref(), non_local(), graph, &algebra);
        }
        (self.energies(features, graph), layer_sphcs)
    }

    /// χ⁰: zero, (1/λ) Σ_j φ(d_ij) Y_ij, or (normalised) Σ_j φ(d_ij) Y_ij / Σ_j φ(d_ij).
    ///
    /// The normalised form of v0.1 is Y(u_ij) for an atom with one neighbour, whatever its
    /// distance, and 0 without neighbours: it jumps when an atom's last neighbour leaves
    /// the cutoff. Atoms of bonded molecules never get there; isolated ones do.
    ///
    /// # Shapes
    /// - `zero_sphc`: (N, m_tot) zeros
    fn initial_sphc(
        &self,
        local: &PairGeometry<B>,
        graph: &GraphTensors<B>,
        zero_sphc: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let weighted = local.harmonics.clone() * local.cutoff.clone();
        let sum = |values: Tensor<B, 2>| {
            let [n_atoms, _] = zero_sphc.dims();
            let [_, width] = values.dims();
            zeros([n_atoms, width], &values.device()).select_assign(
                0,
                graph.local.directed_centres.clone(),
                values,
                IndexingUpdateOp::Add,
            )
        };

        if self.sphc_init_normalised {
            let weight = sum(local.cutoff.clone()); // (N, 1), Σ_j φ(d_ij)
            let positive = weight.clone().greater_elem(0.0);
            let safe_weight = weight.mask_fill(positive.bool_not(), 1.0);
            sum(weighted) / safe_weight
        } else if self.sphc_init_scale > 0.0 {
            sum(weighted).div_scalar(self.sphc_init_scale)
        } else {
            zero_sphc
        }
    }

    /// Sums per-atom energies e_i = MLP(x_i) per structure.
    fn energies(&self, features: Tensor<B, 2>, graph: &GraphTensors<B>) -> Tensor<B, 1> {
        let atomic = self.energy_head.forward(features); // (N, 1)
        zeros([graph.n_structures, 1], &atomic.device())
            .select_assign(0, graph.atom_structure.clone(), atomic, IndexingUpdateOp::Add)
            .reshape([graph.n_structures])
    }

    /// Number of trainable scalars.
    pub fn parameter_count(&self) -> usize {
        self.num_params()
    }
}
