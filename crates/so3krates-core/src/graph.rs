//! Batches of structures as one flat, disconnected graph (no padding).
//!
//! Atoms of all structures are concatenated; pairs carry global atom indices. Pairs are
//! ordered so that the first half holds one direction of every unordered pair (of every
//! structure) and the second half the reverses in the same order: the filters, symmetric in
//! the pair, are then evaluated once per unordered pair.
//!
//! A model with non-local attention also gets the list of every atom pair of each structure
//! ([`Batch::all_pairs`]); its unordered pairs start with the batch's local pairs, in the
//! same order and direction, so the local list is a prefix of it.

use std::collections::{BTreeMap, HashSet};

use burn::prelude::*;

use crate::config::ModelConfig;
use crate::error::CoreError;
use crate::neighbours::{neighbour_list, NeighbourList};
use crate::structure::Structure;
use crate::tensors::{float_tensor, index_tensor};

/// One structure with its neighbour list, the unit batches are assembled from.
#[derive(Clone, Debug)]
pub struct StructureGraph {
    pub structure: Structure,
    pub pairs: NeighbourList,
    /// For a non-local model: the atom pairs (i < j) beyond the cutoff, which together with
    /// `pairs` make every pair of the structure. `None` for a local model.
    pub far_pairs: Option<Vec<[u32; 2]>>,
}

impl StructureGraph {
    /// Validates the structure and builds the pair lists `config` needs: the neighbour list
    /// for its cutoff and, with non-local attention on, all the other pairs.
    ///
    /// A non-local model refuses periodic structures (all pairs over periodic images are
    /// undefined) and structures with more than `non_local.max_atoms` atoms.
    pub fn new(structure: Structure, config: &ModelConfig) -> Result<Self, CoreError> {
        let pairs = neighbour_list(&structure, config.cutoff_angstrom)?;
        if !config.non_local.is_on() {
            return Ok(Self { structure, pairs, far_pairs: None });
        }

        if structure.is_periodic() {
            return Err(CoreError::InvalidStructure(
                "a model with non-local attention (model.non_local.mode) only evaluates \
                 non-periodic structures; this one is periodic"
                    .into(),
            ));
        }
        if structure.len() > config.non_local.max_atoms {
            return Err(CoreError::InvalidStructure(format!(
                "{} atoms exceed this non-local model's limit of {} (model.non_local.max_atoms): \
                 its all-pairs attention costs O(N²)",
                structure.len(),
                config.non_local.max_atoms
            )));
        }

        let local: HashSet<(u32, u32)> = (0..pairs.n_unordered())
            .map(|k| (pairs.centres[k].min(pairs.neighbours[k]), pairs.centres[k].max(pairs.neighbours[k])))
            .collect();
        let n_atoms = structure.len() as u32;
        let far_pairs = (0..n_atoms)
            .flat_map(|i| (i + 1..n_atoms).map(move |j| [i, j]))
            .filter(|&[i, j]| !local.contains(&(i, j)))
            .collect();
        Ok(Self { structure, pairs, far_pairs: Some(far_pairs) })
    }
}

/// Unordered atom pairs of a batch, by global atom index.
#[derive(Clone, Debug, Default)]
pub struct PairIndices {
    /// First atom of each unordered pair, shape (n_pairs,).
    pub centres: Vec<i64>,
    /// Second atom of each unordered pair, shape (n_pairs,).
    pub neighbours: Vec<i64>,
    /// Structure index of each unordered pair, shape (n_pairs,).
    pub structure: Vec<i64>,
}

impl PairIndices {
    /// Number of unordered pairs.
    pub fn len(&self) -> usize {
        self.centres.len()
    }

    pub fn is_empty(&self) -> bool {
        self.centres.is_empty()
    }

    fn push(&mut self, centre: i64, neighbour: i64, structure: i64) {
        self.centres.push(centre);
        self.neighbours.push(neighbour);
        self.structure.push(structure);
    }

    /// The pairs on a backend, with both directions of each pair.
    pub fn to_tensors<B: Backend>(&self, device: &B::Device) -> PairTensors<B> {
        PairTensors {
            centres: index_tensor(self.centres.clone(), device),
            neighbours: index_tensor(self.neighbours.clone(), device),
            structure: index_tensor(self.structure.clone(), device),
            directed_centres: index_tensor(self.directed_centres(), device),
            directed_neighbours: index_tensor(
                [self.neighbours.clone(), self.centres.clone()].concat(),
                device,
            ),
            n_unordered: self.len(),
        }
    }

    /// The receiver of each directed pair: the pair centres, then the neighbours.
    fn directed_centres(&self) -> Vec<i64> {
        [self.centres.clone(), self.neighbours.clone()].concat()
    }
}

/// Several structures as one graph on the host, in f64.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Atomic numbers, shape (n_atoms,).
    pub numbers: Vec<i64>,
    /// Positions in Å, shape (n_atoms, 3), row-major.
    pub positions: Vec<f64>,
    /// Structure index of each atom, shape (n_atoms,).
    pub atom_structure: Vec<i64>,
    /// The pairs within the cutoff, centre i to neighbour j in the first direction.
    pub local_pairs: PairIndices,
    /// Cartesian image offset S_ij·cell in Å of each local pair, shape (n_unordered, 3).
    pub pair_offsets: Vec<f64>,
    /// Number of atoms of each structure, shape (n_structures,).
    pub atoms_per_structure: Vec<usize>,
    /// For a model with non-local attention: the pairs beyond the cutoff, which with the
    /// local pairs make every pair of each structure.
    pub far_pairs: Option<PairIndices>,
}

impl Batch {
    /// Concatenates structures that already have their pair lists. The graphs must have been
    /// built for the same model: all with the global list or none.
    pub fn new(graphs: &[&StructureGraph]) -> Result<Self, CoreError> {
        let non_local = graphs.first().is_some_and(|g| g.far_pairs.is_some());
        if graphs.iter().any(|g| g.far_pairs.is_some() != non_local) {
            return Err(CoreError::InvalidConfig(
                "a batch mixes structures prepared for a local and a non-local model".into(),
            ));
        }

        let mut batch = Batch { far_pairs: non_local.then(PairIndices::default), ..Batch::default() };
        for (index, graph) in graphs.iter().enumerate() {
            batch.push(index, graph);
        }
        Ok(batch)
    }

    /// Builds the pair lists `config` needs and concatenates; an error names the failing
    /// structure.
    pub fn from_structures(structures: &[Structure], config: &ModelConfig) -> Result<Self, CoreError> {
        let graphs = structures
            .iter()
            .enumerate()
            .map(|(index, s)| {
                StructureGraph::new(s.clone(), config)
                    .map_err(|e| CoreError::InBatch { index, source: Box::new(e) })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&graphs.iter().collect::<Vec<_>>())
    }

    fn push(&mut self, index: usize, graph: &StructureGraph) {
        let offset = self.numbers.len() as i64;
        let structure = &graph.structure;
        let cell = structure.cell.unwrap_or([[0.0; 3]; 3]);

        self.numbers.extend(structure.numbers.iter().map(|&z| z as i64));
        self.positions.extend(structure.positions.iter().flatten());
        self.atom_structure.extend(std::iter::repeat_n(index as i64, structure.len()));
        self.atoms_per_structure.push(structure.len());

        let pairs = &graph.pairs;
        for k in 0..pairs.n_unordered() {
            self.local_pairs.push(
                offset + pairs.centres[k] as i64,
                offset + pairs.neighbours[k] as i64,
                index as i64,
            );
            let s = pairs.shifts[k].map(f64::from);
            let image_offset: [f64; 3] = std::array::from_fn(|axis| {
                s[0] * cell[0][axis] + s[1] * cell[1][axis] + s[2] * cell[2][axis]
            });
            self.pair_offsets.extend(image_offset);
        }

        if let (Some(far), Some(far_pairs)) = (&mut self.far_pairs, &graph.far_pairs) {
            for &[i, j] in far_pairs {
                far.push(offset + i as i64, offset + j as i64, index as i64);
            }
        }
    }

    pub fn n_atoms(&self) -> usize {
        self.numbers.len()
    }

    pub fn n_structures(&self) -> usize {
        self.atoms_per_structure.len()
    }

    /// Number of unordered pairs; the graph has twice as many directed pairs.
    pub fn n_unordered(&self) -> usize {
        self.local_pairs.len()
    }

    /// Moves the index data onto a backend; positions travel separately (see
    /// [`Batch::positions_tensor`]) so that the caller decides whether they need gradients.
    pub fn to_tensors<B: Backend>(&self, device: &B::Device) -> GraphTensors<B> {
        GraphTensors {
            numbers: index_tensor(self.numbers.clone(), device),
            atom_structure: index_tensor(self.atom_structure.clone(), device),
            local: self.local_pairs.to_tensors(device),
            pair_offsets: float_tensor(self.pair_offsets.clone(), [self.n_unordered(), 3], device),
            n_atoms: self.n_atoms(),
            n_structures: self.n_structures(),
            global: self.all_pairs().map(|global| self.global_tensors(&global, device)),
        }
    }

    /// For a non-local model: every unordered pair of each structure, the local pairs of the
    /// whole batch first (in their order), then the far pairs.
    pub fn all_pairs(&self) -> Option<PairIndices> {
        let far = self.far_pairs.as_ref()?;
        let local = &self.local_pairs;
        Some(PairIndices {
            centres: [local.centres.as_slice(), &far.centres].concat(),
            neighbours: [local.neighbours.as_slice(), &far.neighbours].concat(),
            structure: [local.structure.as_slice(), &far.structure].concat(),
        })
    }

    fn global_tensors<B: Backend>(&self, global: &PairIndices, device: &B::Device) -> GlobalPairTensors<B> {
        // Directed pairs by centre: atom i of a structure of N_s atoms receives N_s − 1 pairs.
        let mut pairs_of_centre = vec![Vec::new(); self.n_atoms()];
        for (pair, &centre) in global.directed_centres().iter().enumerate() {
            pairs_of_centre[centre as usize].push(pair as i64);
        }
        let mut groups: BTreeMap<usize, (usize, Vec<i64>)> = BTreeMap::new();
        for (atom, pairs) in pairs_of_centre.into_iter().enumerate() {
            let atoms_in_structure = self.atoms_per_structure[self.atom_structure[atom] as usize];
            if atoms_in_structure > 1 {
                let (centres, members) = groups.entry(atoms_in_structure).or_default();
                *centres += 1;
                members.extend(pairs);
            }
        }
        let centre_groups = groups
            .into_iter()
            .map(|(atoms_in_structure, (n_centres, pairs))| CentreGroup {
                pairs: index_tensor(pairs, device),
                n_centres,
                atoms_in_structure,
            })
            .collect();

        GlobalPairTensors { pairs: global.to_tensors(device), centre_groups }
    }

    /// Positions as a (n_atoms, 3) tensor in Å.
    pub fn positions_tensor<B: Backend>(&self, device: &B::Device) -> Tensor<B, 2> {
        float_tensor(self.positions.clone(), [self.n_atoms(), 3], device)
    }
}

/// The index and offset tensors of a [`Batch`] on a backend.
#[derive(Clone, Debug)]
pub struct GraphTensors<B: Backend> {
    /// (n_atoms,) atomic numbers.
    pub numbers: Tensor<B, 1, Int>,
    /// (n_atoms,) structure index of each atom.
    pub atom_structure: Tensor<B, 1, Int>,
    /// The pairs within the cutoff.
    pub local: PairTensors<B>,
    /// (n_unordered, 3) image offsets S_ij·cell in Å of the local pairs.
    pub pair_offsets: Tensor<B, 2>,
    pub n_atoms: usize,
    pub n_structures: usize,
    /// The all-pairs list of a non-local model.
    pub global: Option<GlobalPairTensors<B>>,
}

/// One list of unordered pairs on a backend, P_u pairs, and its 2·P_u directed pairs.
#[derive(Clone, Debug)]
pub struct PairTensors<B: Backend> {
    /// (P_u,) centre i of each unordered pair.
    pub centres: Tensor<B, 1, Int>,
    /// (P_u,) neighbour j of each unordered pair.
    pub neighbours: Tensor<B, 1, Int>,
    /// (P_u,) structure index of each unordered pair.
    pub structure: Tensor<B, 1, Int>,
    /// (2·P_u,) receiver of each directed pair: the pair centres, then the neighbours.
    pub directed_centres: Tensor<B, 1, Int>,
    /// (2·P_u,) sender of each directed pair.
    pub directed_neighbours: Tensor<B, 1, Int>,
    /// P_u.
    pub n_unordered: usize,
}

impl<B: Backend> PairTensors<B> {
    /// x_j − x_i for each unordered pair (i, j) of this list.
    ///
    /// # Shapes
    /// - `per_atom`: (N, D), e.g. positions or SPHCs
    /// - returns: (P_u, D)
    pub fn neighbour_minus_centre(&self, per_atom: Tensor<B, 2>) -> Tensor<B, 2> {
        per_atom.clone().select(0, self.neighbours.clone()) - per_atom.select(0, self.centres.clone())
    }
}

/// The all-pairs list of a batch on a backend. Its first `GraphTensors::local.n_unordered`
/// unordered pairs are the local pairs, in the same order.
#[derive(Clone, Debug)]
pub struct GlobalPairTensors<B: Backend> {
    pub pairs: PairTensors<B>,
    /// The directed pairs grouped by centre, one group per structure size, for the
    /// per-centre softmax.
    pub centre_groups: Vec<CentreGroup<B>>,
}

/// The directed pairs of all centres that belong to structures of one size N_s.
#[derive(Clone, Debug)]
pub struct CentreGroup<B: Backend> {
    /// (n_centres·(N_s − 1),) directed-pair indices, centre by centre: reshaped to
    /// (n_centres, N_s − 1), row c holds the pairs that centre c receives.
    pub pairs: Tensor<B, 1, Int>,
    pub n_centres: usize,
    /// N_s, the number of atoms of each of these centres' structures.
    pub atoms_in_structure: usize,
}
