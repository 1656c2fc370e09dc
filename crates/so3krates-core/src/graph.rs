//! Batches of structures as one flat, disconnected graph (no padding).
//!
//! Atoms of all structures are concatenated; pairs carry global atom indices. Pairs are
//! ordered so that the first half holds one direction of every unordered pair (of every
//! structure) and the second half the reverses in the same order: the filters, symmetric in
//! the pair, are then evaluated once per unordered pair.

use burn::prelude::*;

use crate::error::CoreError;
use crate::neighbours::{neighbour_list, NeighbourList};
use crate::structure::Structure;
use crate::tensors::{float_tensor, index_tensor};

/// One structure with its neighbour list, the unit batches are assembled from.
#[derive(Clone, Debug)]
pub struct StructureGraph {
    pub structure: Structure,
    pub pairs: NeighbourList,
}

impl StructureGraph {
    /// Validates the structure and builds its neighbour list for `cutoff_angstrom`.
    pub fn new(structure: Structure, cutoff_angstrom: f64) -> Result<Self, CoreError> {
        let pairs = neighbour_list(&structure, cutoff_angstrom)?;
        Ok(Self { structure, pairs })
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
    /// Centre atom i of each unordered pair (first direction), shape (n_unordered,).
    pub pair_centres: Vec<i64>,
    /// Neighbour atom j of each unordered pair (first direction), shape (n_unordered,).
    pub pair_neighbours: Vec<i64>,
    /// Cartesian image offset S_ij·cell in Å of each unordered pair, shape (n_unordered, 3).
    pub pair_offsets: Vec<f64>,
    /// Structure index of each unordered pair, shape (n_unordered,).
    pub pair_structure: Vec<i64>,
    /// Number of atoms of each structure, shape (n_structures,).
    pub atoms_per_structure: Vec<usize>,
}

impl Batch {
    /// Concatenates structures that already have their neighbour lists.
    pub fn new(graphs: &[&StructureGraph]) -> Self {
        let mut batch = Batch::default();
        for (index, graph) in graphs.iter().enumerate() {
            batch.push(index, graph);
        }
        batch
    }

    /// Builds neighbour lists and concatenates; an error names the failing structure.
    pub fn from_structures(structures: &[Structure], cutoff_angstrom: f64) -> Result<Self, CoreError> {
        let graphs = structures
            .iter()
            .enumerate()
            .map(|(index, s)| {
                StructureGraph::new(s.clone(), cutoff_angstrom)
                    .map_err(|e| CoreError::InBatch { index, source: Box::new(e) })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(&graphs.iter().collect::<Vec<_>>()))
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
            self.pair_centres.push(offset + pairs.centres[k] as i64);
            self.pair_neighbours.push(offset + pairs.neighbours[k] as i64);
            let s = pairs.shifts[k].map(f64::from);
            for axis in 0..3 {
                self.pair_offsets.push(s[0] * cell[0][axis] + s[1] * cell[1][axis] + s[2] * cell[2][axis]);
            }
            self.pair_structure.push(index as i64);
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
        self.pair_centres.len()
    }

    /// Moves the index data onto a backend; positions travel separately (see
    /// [`Batch::positions_tensor`]) so that the caller decides whether they need gradients.
    pub fn to_tensors<B: Backend>(&self, device: &B::Device) -> GraphTensors<B> {
        let directed_centres = [self.pair_centres.clone(), self.pair_neighbours.clone()].concat();
        let directed_neighbours = [self.pair_neighbours.clone(), self.pair_centres.clone()].concat();
        GraphTensors {
            numbers: index_tensor(self.numbers.clone(), device),
            atom_structure: index_tensor(self.atom_structure.clone(), device),
            pair_centres: index_tensor(self.pair_centres.clone(), device),
            pair_neighbours: index_tensor(self.pair_neighbours.clone(), device),
            pair_offsets: float_tensor(self.pair_offsets.clone(), [self.n_unordered(), 3], device),
            pair_structure: index_tensor(self.pair_structure.clone(), device),
            directed_centres: index_tensor(directed_centres, device),
            directed_neighbours: index_tensor(directed_neighbours, device),
            n_atoms: self.n_atoms(),
            n_structures: self.n_structures(),
            n_unordered: self.n_unordered(),
        }
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
    /// (n_unordered,) centre i of each unordered pair.
    pub pair_centres: Tensor<B, 1, Int>,
    /// (n_unordered,) neighbour j of each unordered pair.
    pub pair_neighbours: Tensor<B, 1, Int>,
    /// (n_unordered, 3) image offsets S_ij·cell in Å.
    pub pair_offsets: Tensor<B, 2>,
    /// (n_unordered,) structure index of each unordered pair.
    pub pair_structure: Tensor<B, 1, Int>,
    /// (2·n_unordered,) receiver of each directed pair: the pair centres, then the neighbours.
    pub directed_centres: Tensor<B, 1, Int>,
    /// (2·n_unordered,) sender of each directed pair.
    pub directed_neighbours: Tensor<B, 1, Int>,
    pub n_atoms: usize,
    pub n_structures: usize,
    pub n_unordered: usize,
}
