//! Atomic structures as the user hands them to the model.
//!
//! Conventions (the same as ASE):
//! - positions are Cartesian, in the model's length unit (Å for every shipped model);
//! - the cell holds the three lattice vectors as **rows**: `cell[0]` is a, `cell[1]` is b;
//! - `pbc[k]` says whether the structure is periodic along lattice vector k.

use crate::error::CoreError;

/// One structure: atomic numbers, positions and an optional periodic cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Structure {
    /// Atomic numbers, shape (n_atoms,).
    pub numbers: Vec<u8>,
    /// Cartesian positions in Å, shape (n_atoms, 3).
    pub positions: Vec<[f64; 3]>,
    /// Lattice vectors as rows, in Å. `None` for a molecule in open space.
    pub cell: Option<[[f64; 3]; 3]>,
    /// Periodicity along each lattice vector. All false when `cell` is `None`.
    pub pbc: [bool; 3],
}

impl Structure {
    /// A molecule or cluster in open space.
    pub fn molecule(numbers: Vec<u8>, positions: Vec<[f64; 3]>) -> Self {
        Self { numbers, positions, cell: None, pbc: [false; 3] }
    }

    /// A structure with a cell; `pbc` says along which lattice vectors it repeats.
    pub fn periodic(numbers: Vec<u8>, positions: Vec<[f64; 3]>, cell: [[f64; 3]; 3], pbc: [bool; 3]) -> Self {
        Self { numbers, positions, cell: Some(cell), pbc }
    }

    /// Number of atoms.
    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    /// True for a structure without atoms.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// True when the structure repeats along at least one lattice vector.
    pub fn is_periodic(&self) -> bool {
        self.cell.is_some() && self.pbc.iter().any(|&p| p)
    }

    /// Cell volume in Å³ (absolute value of the determinant), if there is a cell.
    pub fn volume(&self) -> Option<f64> {
        self.cell.map(|c| determinant(&c).abs())
    }

    /// Checks what the model needs of any input: matching lengths, finite coordinates,
    /// atomic numbers the embedding knows (1..=99), and a non-singular cell where periodic.
    ///
    /// Coincident atoms are found later, by the neighbour list, which names both atoms.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.numbers.len() != self.positions.len() {
            return Err(CoreError::InvalidStructure(format!(
                "{} atomic numbers but {} positions",
                self.numbers.len(),
                self.positions.len()
            )));
        }
        for (atom, &z) in self.numbers.iter().enumerate() {
            if z == 0 || z > MAX_ATOMIC_NUMBER {
                return Err(CoreError::InvalidStructure(format!(
                    "atom {atom} has atomic number {z}; supported are 1..={MAX_ATOMIC_NUMBER}"
                )));
            }
        }
        for (atom, r) in self.positions.iter().enumerate() {
            if r.iter().any(|v| !v.is_finite()) {
                return Err(CoreError::InvalidStructure(format!(
                    "atom {atom} has a non-finite position {r:?}"
                )));
            }
        }
        if let Some(cell) = &self.cell {
            if cell.iter().flatten().any(|v| !v.is_finite()) {
                return Err(CoreError::InvalidStructure(format!("cell is not finite: {cell:?}")));
            }
            if self.is_periodic() && determinant(cell).abs() < MIN_CELL_VOLUME {
                return Err(CoreError::InvalidStructure(format!(
                    "periodic cell is singular (volume {:.3e} Å³): {cell:?}",
                    determinant(cell).abs()
                )));
            }
        } else if self.pbc.iter().any(|&p| p) {
            return Err(CoreError::InvalidStructure("pbc is set but the structure has no cell".to_string()));
        }
        Ok(())
    }
}

/// Largest atomic number the embedding table holds (it has 100 rows; row 0 is unused).
pub const MAX_ATOMIC_NUMBER: u8 = 99;

/// Periodic cells with a smaller volume than this (Å³) are rejected as singular.
pub const MIN_CELL_VOLUME: f64 = 1e-6;

/// Determinant of a 3×3 matrix given as rows.
pub fn determinant(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}
