//! Neighbour list: every directed atom pair closer than a cutoff, periodic images included.
//!
//! Computed in f64 with a cell list, so the cost is linear in the number of atoms:
//! 1. atoms are wrapped into the cell along periodic directions, the wrap folded into the shifts;
//! 2. periodic images are generated only inside the slab of width `cutoff` around the cell;
//! 3. images are binned in cubes of side `cutoff` and each atom searches the 27 adjacent bins. Bins
//!    are hashed, so only occupied ones cost memory (far-apart atoms in open space stay cheap).

use std::collections::HashMap;

use crate::error::CoreError;
use crate::structure::Structure;

/// Pairs closer than this (Å) are coincident atoms, an error: the model is undefined there.
pub const MIN_PAIR_DISTANCE: f64 = 1e-4;

/// Most directed pairs one list may hold (2 GB); more means a cutoff absurd for the structure.
pub const MAX_PAIRS: usize = 100_000_000;

/// Most periodic images (atoms included) the search may generate, for the same reason.
pub const MAX_IMAGE_ATOMS: usize = 100_000_000;

/// Slack (fractional units) in the slab test, so rounding never drops a needed image.
const SLAB_TOLERANCE: f64 = 1e-9;

/// Largest wrap (in cells) of an atom given outside its cell. With image ranges bounded by
/// [`MAX_IMAGE_ATOMS`], every shift stays below 2·MAX_WRAP + MAX_IMAGE_ATOMS + 1 < i32::MAX.
const MAX_WRAP: f64 = 5e8;

/// Directed pairs within the cutoff, ordered so that the filter can be evaluated once per
/// unordered pair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NeighbourList {
    /// Centre (receiver) atom i of each directed pair, shape (n_pairs,).
    pub centres: Vec<u32>,
    /// Neighbour (sender) atom j of each directed pair, shape (n_pairs,).
    pub neighbours: Vec<u32>,
    /// Integer cell shift S_ij of each pair, shape (n_pairs, 3): r_ij = R_j − R_i + S_ij · cell,
    /// with the cell's lattice vectors as rows (so S·cell = S0·a + S1·b + S2·c).
    pub shifts: Vec<[i32; 3]>,
}

impl NeighbourList {
    /// Number of directed pairs.
    pub fn len(&self) -> usize {
        self.centres.len()
    }

    /// True when no atom has a neighbour.
    pub fn is_empty(&self) -> bool {
        self.centres.is_empty()
    }

    /// Number of unordered pairs = len()/2. Pairs [0, n) are canonical; pair k + n is the reverse
    /// of pair k: (j, i, −S).
    pub fn n_unordered(&self) -> usize {
        self.centres.len() / 2
    }
}

/// Builds the list for one structure. Pairs with 0 < d < cutoff (Å) are kept (strictly less than
/// the cutoff).
///
/// Canonical pairs (i < j, or i == j with S lexicographically positive) come first, sorted by
/// (i, j, S); then their reverses in the same order. Errors on an invalid structure or cutoff, on
/// coincident atoms (closer than [`MIN_PAIR_DISTANCE`]) and on a cutoff absurd for the structure
/// (more than [`MAX_PAIRS`] pairs or [`MAX_IMAGE_ATOMS`] images).
pub fn neighbour_list(structure: &Structure, cutoff: f64) -> Result<NeighbourList, CoreError> {
    structure.validate()?;
    if !(cutoff.is_finite() && cutoff > 0.0) {
        return Err(CoreError::InvalidConfig(format!("cutoff must be finite and > 0, got {cutoff}")));
    }
    if u32::try_from(structure.len()).is_err() {
        return Err(CoreError::InvalidStructure(format!("{} atoms exceed u32 indices", structure.len())));
    }

    let search_radius = cutoff.max(MIN_PAIR_DISTANCE);
    let lattice = Lattice::of(structure);
    let wrapped = wrap_atoms(structure, lattice.as_ref())?;
    let images = periodic_images(&wrapped, lattice.as_ref(), search_radius)?;

    let (canonical, coincident) = search_canonical_pairs(&wrapped, images, cutoff, search_radius)?;
    if let Some(pair) = coincident {
        return Err(pair.into_error());
    }

    let reversed = canonical.iter().map(|&(i, j, s)| (j, i, s.map(|v| -v)));
    let directed: Vec<Pair> = canonical.iter().copied().chain(reversed).collect();
    Ok(NeighbourList {
        centres: directed.iter().map(|pair| pair.0).collect(),
        neighbours: directed.iter().map(|pair| pair.1).collect(),
        shifts: directed.iter().map(|pair| pair.2).collect(),
    })
}

/// The periodic part of a structure: lattice vectors (rows, Å) and their inverse.
struct Lattice {
    /// Lattice vectors as rows, Å.
    cell: [[f64; 3]; 3],
    /// Inverse of `cell`: fractional coordinates f = r · inverse; column k is reciprocal vector
    /// b_k (1/Å).
    inverse: [[f64; 3]; 3],
    /// Periodicity along each lattice vector.
    pbc: [bool; 3],
}

impl Lattice {
    /// None without any periodic direction. Expects a validated (non-singular) cell.
    fn of(structure: &Structure) -> Option<Self> {
        let cell = structure.cell?;
        if !structure.is_periodic() {
            return None;
        }
        let det = crate::structure::determinant(&cell);
        let mut inverse = [[0.0; 3]; 3];
        for (r, row) in inverse.iter_mut().enumerate() {
            for (c, value) in row.iter_mut().enumerate() {
                // inverse[r][c] = cofactor[c][r] / det, cyclic indices give the signs.
                let (c1, c2, r1, r2) = ((c + 1) % 3, (c + 2) % 3, (r + 1) % 3, (r + 2) % 3);
                *value = (cell[c1][r1] * cell[c2][r2] - cell[c1][r2] * cell[c2][r1]) / det;
            }
        }
        Some(Self { cell, inverse, pbc: structure.pbc })
    }

    /// Fractional coordinates of a Cartesian position (Å).
    fn fractional(&self, r: &[f64; 3]) -> [f64; 3] {
        std::array::from_fn(|k| (0..3).map(|d| r[d] * self.inverse[d][k]).sum())
    }

    /// Cartesian translation (Å) of an integer cell shift: shift · cell.
    fn translation(&self, shift: [i64; 3]) -> [f64; 3] {
        std::array::from_fn(|d| (0..3).map(|k| shift[k] as f64 * self.cell[k][d]).sum())
    }

    /// Length |b_k| of reciprocal vector k (1/Å): one over the cell's width perpendicular to the
    /// other two lattice vectors.
    fn reciprocal_length(&self, k: usize) -> f64 {
        (0..3).map(|d| self.inverse[d][k].powi(2)).sum::<f64>().sqrt()
    }
}

/// The atoms as centres, wrapped into the cell along periodic directions.
struct WrappedAtoms {
    /// Wrapped Cartesian positions R − wrap·cell, Å, shape (n_atoms, 3).
    positions: Vec<[f64; 3]>,
    /// Fractional coordinates of the wrapped positions, in [0, 1) along periodic directions.
    fractional: Vec<[f64; 3]>,
    /// Whole cells each atom was moved by, shape (n_atoms, 3).
    wraps: Vec<[i64; 3]>,
}

/// Wraps the atoms into the cell by their fractional coordinates; no-op in open space.
fn wrap_atoms(structure: &Structure, lattice: Option<&Lattice>) -> Result<WrappedAtoms, CoreError> {
    let Some(lattice) = lattice else {
        let n = structure.len();
        return Ok(WrappedAtoms {
            positions: structure.positions.clone(),
            fractional: vec![[0.0; 3]; n],
            wraps: vec![[0; 3]; n],
        });
    };
    let mut wrapped = WrappedAtoms { positions: vec![], fractional: vec![], wraps: vec![] };
    for (atom, r) in structure.positions.iter().enumerate() {
        let mut f = lattice.fractional(r);
        let mut wrap = [0i64; 3];
        for k in (0..3).filter(|&k| lattice.pbc[k]) {
            let cells = f[k].floor();
            if cells.abs() > MAX_WRAP {
                return Err(CoreError::InvalidStructure(format!(
                    "atom {atom} lies {cells:.3e} cells outside the cell along lattice vector {k}"
                )));
            }
            wrap[k] = cells as i64;
            f[k] -= cells;
        }
        let t = lattice.translation(wrap);
        wrapped.positions.push(std::array::from_fn(|d| r[d] - t[d]));
        wrapped.fractional.push(f);
        wrapped.wraps.push(wrap);
    }
    Ok(wrapped)
}

/// An atom or one of its periodic images.
struct ImageAtom {
    /// Cartesian position R_atom + shift·cell, Å.
    position: [f64; 3],
    /// Index of the atom this is an image of.
    atom: u32,
    /// Cell shift relative to the atom's given (unwrapped) position.
    shift: [i64; 3],
}

/// All images (the wrapped atoms themselves included) whose fractional coordinate along each
/// periodic direction k lies in [−radius·|b_k|, 1 + radius·|b_k|]: every neighbour of a wrapped
/// atom is among them, since |Δf_k| ≤ |Δr|·|b_k|.
fn periodic_images(
    wrapped: &WrappedAtoms,
    lattice: Option<&Lattice>,
    radius: f64,
) -> Result<Vec<ImageAtom>, CoreError> {
    let image_range = |f: &[f64; 3], k: usize| -> (f64, f64) {
        match lattice {
            Some(l) if l.pbc[k] => {
                let margin = radius * l.reciprocal_length(k) + SLAB_TOLERANCE;
                ((-margin - f[k]).ceil(), (1.0 + margin - f[k]).floor())
            }
            _ => (0.0, 0.0),
        }
    };

    let n_images: f64 = wrapped
        .fractional
        .iter()
        .map(|f| (0..3).map(|k| image_range(f, k)).map(|(lo, hi)| (hi - lo + 1.0).max(0.0)).product::<f64>())
        .sum();
    if n_images > MAX_IMAGE_ATOMS as f64 {
        return Err(CoreError::InvalidStructure(format!(
            "cutoff {radius} Å needs {n_images:.3e} periodic images (limit {MAX_IMAGE_ATOMS}); \
             the cell is far too small for this cutoff"
        )));
    }

    let mut images = Vec::with_capacity(n_images as usize);
    for (atom, f) in wrapped.fractional.iter().enumerate() {
        let [r0, r1, r2] = std::array::from_fn(|k| image_range(f, k));
        for n0 in r0.0 as i64..=r0.1 as i64 {
            for n1 in r1.0 as i64..=r1.1 as i64 {
                for n2 in r2.0 as i64..=r2.1 as i64 {
                    let n = [n0, n1, n2];
                    let t = lattice.map_or([0.0; 3], |l| l.translation(n));
                    let r = wrapped.positions[atom];
                    let wrap = wrapped.wraps[atom];
                    images.push(ImageAtom {
                        position: std::array::from_fn(|d| r[d] + t[d]),
                        atom: atom as u32,
                        shift: std::array::from_fn(|k| n[k] - wrap[k]),
                    });
                }
            }
        }
    }
    Ok(images)
}

/// A canonical pair (i, j, S) as stored before ordering.
type Pair = (u32, u32, [i32; 3]);

/// Two atoms closer than [`MIN_PAIR_DISTANCE`].
struct CoincidentPair {
    pair: Pair,
    distance: f64,
}

impl CoincidentPair {
    fn into_error(self) -> CoreError {
        let (i, j, s) = self.pair;
        let shift = if s == [0; 3] {
            String::new()
        } else {
            format!(" via cell shift [{}, {}, {}]", s[0], s[1], s[2])
        };
        CoreError::CoincidentAtoms {
            first: i as usize,
            second: j as usize,
            distance_angstrom: self.distance,
            shift,
        }
    }
}

/// Cell-list search: canonical pairs with d < cutoff sorted by (i, j, S), and the first coincident
/// pair in that order. Each unordered pair is met once, from its canonical centre.
fn search_canonical_pairs(
    wrapped: &WrappedAtoms,
    images: Vec<ImageAtom>,
    cutoff: f64,
    radius: f64,
) -> Result<(Vec<Pair>, Option<CoincidentPair>), CoreError> {
    let bin_of = |r: &[f64; 3]| -> [i64; 3] { std::array::from_fn(|d| (r[d] / radius).floor() as i64) };

    // Images sorted by bin, so each bin is one contiguous run; bins maps a bin to its run.
    let mut binned: Vec<([i64; 3], ImageAtom)> =
        images.into_iter().map(|image| (bin_of(&image.position), image)).collect();
    binned.sort_unstable_by_key(|(bin, _)| *bin);
    let mut bins: HashMap<[i64; 3], (usize, usize)> = HashMap::new();
    let mut start = 0;
    for run in binned.chunk_by(|a, b| a.0 == b.0) {
        bins.insert(run[0].0, (start, start + run.len()));
        start += run.len();
    }

    // Centres visited bin by bin, for memory locality; the 27 runs are looked up once per bin.
    let n_atoms = wrapped.positions.len();
    let mut centre_order: Vec<usize> = (0..n_atoms).collect();
    centre_order.sort_unstable_by_key(|&i| bin_of(&wrapped.positions[i]));
    let mut home: Option<[i64; 3]> = None;
    let mut adjacent_runs: Vec<(usize, usize)> = Vec::with_capacity(27);

    let mut pairs = Vec::new();
    let mut pairs_of_centre = vec![(0, 0); n_atoms];
    let mut coincident: Option<CoincidentPair> = None;
    for i in centre_order {
        let centre = &wrapped.positions[i];
        let centre_bin = bin_of(centre);
        if home != Some(centre_bin) {
            home = Some(centre_bin);
            adjacent_runs.clear();
            for offset in 0..27i64 {
                let [x, y, z] = centre_bin;
                let key = [x + offset % 3 - 1, y + offset / 3 % 3 - 1, z + offset / 9 - 1];
                adjacent_runs.extend(bins.get(&key));
            }
        }
        let first_pair_of_centre = pairs.len();
        for &(start, end) in &adjacent_runs {
            for (_, image) in &binned[start..end] {
                let j = image.atom as usize;
                let s: [i64; 3] = std::array::from_fn(|k| image.shift[k] + wrapped.wraps[i][k]);
                let canonical = i < j || (i == j && s > [0; 3]);
                if !canonical {
                    continue;
                }
                let d2: f64 = (0..3).map(|d| (image.position[d] - centre[d]).powi(2)).sum();
                if d2 >= radius * radius {
                    continue;
                }
                // Fits: see MAX_WRAP.
                let pair = (i as u32, j as u32, s.map(|v| v as i32));
                let distance = d2.sqrt();
                if distance < MIN_PAIR_DISTANCE && coincident.as_ref().is_none_or(|c| pair < c.pair) {
                    coincident = Some(CoincidentPair { pair, distance });
                }
                if distance < cutoff {
                    pairs.push(pair);
                    if 2 * pairs.len() > MAX_PAIRS {
                        return Err(CoreError::InvalidStructure(format!(
                            "more than {MAX_PAIRS} pairs within cutoff {cutoff} Å; \
                         the cutoff is far too large for this structure"
                        )));
                    }
                }
            }
        }
        pairs[first_pair_of_centre..].sort_unstable();
        pairs_of_centre[i] = (first_pair_of_centre, pairs.len());
    }
    let sorted = pairs_of_centre.iter().flat_map(|&(start, end)| pairs[start..end].iter().copied());
    Ok((sorted.collect(), coincident))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    type Cell = [[f64; 3]; 3];

    fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    }

    fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
        (0..3).map(|d| a[d] * b[d]).sum()
    }

    /// Reciprocal vectors b_k = (a_{k+1} × a_{k+2}) / V, computed independently of the module.
    fn reciprocal(cell: &Cell) -> Cell {
        let volume = dot(cell[0], cross(cell[1], cell[2]));
        std::array::from_fn(|k| cross(cell[(k + 1) % 3], cell[(k + 2) % 3]).map(|v| v / volume))
    }

    /// Every (i, j, S) with 0 < |R_j − R_i + S·cell| < cutoff, over a shift range that provably
    /// covers them: |S_k| < cutoff·|b_k| + (spread of the atoms' fractional coordinates along k).
    fn brute_force(structure: &Structure, cutoff: f64) -> BTreeSet<Pair> {
        let cell = structure.cell.unwrap_or([[0.0; 3]; 3]);
        let periodic = |k: usize| structure.is_periodic() && structure.pbc[k];
        let b = if structure.is_periodic() { reciprocal(&cell) } else { [[0.0; 3]; 3] };
        let range: [i32; 3] = std::array::from_fn(|k| {
            if !periodic(k) {
                return 0;
            }
            let f: Vec<f64> = structure.positions.iter().map(|r| dot(*r, b[k])).collect();
            let spread =
                f.iter().cloned().fold(f64::MIN, f64::max) - f.iter().cloned().fold(f64::MAX, f64::min);
            (cutoff * dot(b[k], b[k]).sqrt() + spread + 1e-6).floor() as i32
        });
        let mut pairs = BTreeSet::new();
        for s0 in -range[0]..=range[0] {
            for s1 in -range[1]..=range[1] {
                for s2 in -range[2]..=range[2] {
                    let t: [f64; 3] = std::array::from_fn(|d| {
                        s0 as f64 * cell[0][d] + s1 as f64 * cell[1][d] + s2 as f64 * cell[2][d]
                    });
                    for (i, ri) in structure.positions.iter().enumerate() {
                        for (j, rj) in structure.positions.iter().enumerate() {
                            let d: f64 = (0..3).map(|x| (rj[x] - ri[x] + t[x]).powi(2)).sum::<f64>().sqrt();
                            if d > 0.0 && d < cutoff {
                                pairs.insert((i as u32, j as u32, [s0, s1, s2]));
                            }
                        }
                    }
                }
            }
        }
        pairs
    }

    /// Canonical first half sorted by (i, j, S), second half its reverse, no (i, i, 0).
    fn assert_ordering(list: &NeighbourList) {
        assert_eq!(list.len() % 2, 0);
        assert_eq!((list.neighbours.len(), list.shifts.len()), (list.len(), list.len()));
        let n = list.n_unordered();
        let pair = |k: usize| (list.centres[k], list.neighbours[k], list.shifts[k]);
        for k in 0..n {
            let (i, j, s) = pair(k);
            assert!(i < j || (i == j && s > [0; 3]), "pair {k} = {:?} is not canonical", pair(k));
            assert_eq!(pair(k + n), (j, i, s.map(|v| -v)));
            if k > 0 {
                assert!(pair(k - 1) < pair(k), "pairs {} and {k} out of order", k - 1);
            }
        }
    }

    /// The directed pairs of a list as a set.
    fn pair_set(list: &NeighbourList) -> BTreeSet<Pair> {
        (0..list.len()).map(|k| (list.centres[k], list.neighbours[k], list.shifts[k])).collect()
    }

    /// Checks the list against brute force; returns the number of directed pairs compared.
    fn assert_matches_brute_force(structure: &Structure, cutoff: f64) -> usize {
        let expected = brute_force(structure, cutoff);
        let list = match neighbour_list(structure, cutoff) {
            Ok(list) => list,
            Err(CoreError::CoincidentAtoms { .. }) => {
                panic!("unexpected coincident atoms in a random case; change the seed")
            }
            Err(e) => panic!("{e}"),
        };
        assert_ordering(&list);
        let found = pair_set(&list);
        assert_eq!(found.len(), list.len(), "duplicate pairs");
        assert_eq!(found, expected, "cutoff {cutoff}, structure {structure:?}");
        list.len()
    }

    /// A random triclinic cell with varied skew, either handedness, perpendicular widths ≥ 1.5 Å.
    fn random_cell(rng: &mut StdRng) -> Cell {
        loop {
            let lengths: [f64; 3] = std::array::from_fn(|_| rng.random_range(1.5..9.0));
            let mut cell: Cell = std::array::from_fn(|r| {
                std::array::from_fn(|c| {
                    if r == c {
                        lengths[r]
                    } else {
                        rng.random_range(-0.7..0.7) * lengths[r]
                    }
                })
            });
            if rng.random_bool(0.2) {
                cell[2] = cell[2].map(|v| -v);
            }
            let b = reciprocal(&cell);
            if (0..3).all(|k| 1.0 / dot(b[k], b[k]).sqrt() >= 1.5) {
                return cell;
            }
        }
    }

    /// A random structure in `cell`, fractional coordinates in `frac`; some land exactly on faces.
    fn random_structure(rng: &mut StdRng, cell: Cell, pbc: [bool; 3], frac: (f64, f64)) -> Structure {
        let n = rng.random_range(1..=10);
        let positions = (0..n)
            .map(|_| {
                let f: [f64; 3] = std::array::from_fn(|_| match rng.random_range(0..10) {
                    0 => rng.random_range(-1..=1) as f64,
                    _ => rng.random_range(frac.0..frac.1),
                });
                std::array::from_fn(|d| (0..3).map(|k| f[k] * cell[k][d]).sum())
            })
            .collect();
        Structure::periodic(vec![6; n], positions, cell, pbc)
    }

    fn run_periodic_cases(seed: u64, frac: (f64, f64), random_pbc: bool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut compared = 0;
        for _ in 0..200 {
            let cell = random_cell(&mut rng);
            let pbc = if random_pbc { std::array::from_fn(|_| rng.random_bool(0.6)) } else { [true; 3] };
            let structure = random_structure(&mut rng, cell, pbc, frac);
            compared += assert_matches_brute_force(&structure, rng.random_range(1.0..5.0));
        }
        assert!(compared > 1000, "only {compared} pairs compared");
    }

    #[test]
    fn random_molecules_match_brute_force() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut compared = 0;
        for _ in 0..200 {
            let n = rng.random_range(0..=30);
            let size = rng.random_range(1.0..15.0);
            let positions = (0..n).map(|_| std::array::from_fn(|_| rng.random_range(-size..size))).collect();
            let structure = Structure::molecule(vec![1; n], positions);
            compared += assert_matches_brute_force(&structure, rng.random_range(1.0..6.0));
        }
        assert!(compared > 1000);
    }

    #[test]
    fn random_triclinic_cells_match_brute_force() {
        run_periodic_cases(2, (0.0, 1.0), false);
    }

    #[test]
    fn mixed_pbc_matches_brute_force() {
        run_periodic_cases(3, (0.0, 1.0), true);
    }

    #[test]
    fn atoms_outside_the_cell_match_brute_force() {
        run_periodic_cases(4, (-2.5, 3.5), true);
    }

    #[test]
    fn atoms_far_outside_the_cell_fold_their_wrap_into_the_shifts() {
        // Moving atom i by w_i lattice vectors turns pair (i, j, S) into (i, j, S − w_j + w_i).
        let mut rng = StdRng::seed_from_u64(6);
        for _ in 0..50 {
            let cell = random_cell(&mut rng);
            let inside = random_structure(&mut rng, cell, [true; 3], (0.0, 1.0));
            let cutoff = rng.random_range(1.0..5.0);
            let wraps: Vec<[i32; 3]> =
                (0..inside.len()).map(|_| std::array::from_fn(|_| rng.random_range(-1000..=1000))).collect();
            let mut far = inside.clone();
            for (r, w) in far.positions.iter_mut().zip(&wraps) {
                *r = std::array::from_fn(|d| r[d] + (0..3).map(|k| w[k] as f64 * cell[k][d]).sum::<f64>());
            }
            let expected: BTreeSet<Pair> = brute_force(&inside, cutoff)
                .into_iter()
                .map(|(i, j, s)| {
                    (i, j, std::array::from_fn(|k| s[k] - wraps[j as usize][k] + wraps[i as usize][k]))
                })
                .collect();
            let list = neighbour_list(&far, cutoff).unwrap();
            assert_ordering(&list);
            assert_eq!(pair_set(&list), expected);
        }
    }

    #[test]
    fn one_atom_cell_smaller_than_cutoff_sees_its_own_images() {
        let cell = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
        let structure = Structure::periodic(vec![8], vec![[0.3, 2.9, 1.0]], cell, [true; 3]);
        // Images at 3·|n| < 5: |n|² ∈ {1, 2}, 6 + 12 shifts.
        assert_eq!(assert_matches_brute_force(&structure, 5.0), 18);
        let list = neighbour_list(&structure, 5.0).unwrap();
        assert!(list.centres.iter().chain(&list.neighbours).all(|&atom| atom == 0));
        assert!(list.shifts.contains(&[1, -1, 0]) && list.shifts.contains(&[-1, 1, 0]));
    }

    #[test]
    fn large_periodic_box_matches_minimum_image_search() {
        // A cubic box wider than 2·cutoff holds at most one image of each pair within the cutoff:
        // the minimum image, S = −round((R_j − R_i) / side).
        let (n, side, cutoff) = (2000, 27.0, 5.0);
        let mut rng = StdRng::seed_from_u64(5);
        let positions: Vec<[f64; 3]> =
            (0..n).map(|_| std::array::from_fn(|_| rng.random_range(0.0..side))).collect();
        let mut expected = BTreeSet::new();
        for (i, ri) in positions.iter().enumerate() {
            for (j, rj) in positions.iter().enumerate().filter(|&(j, _)| j != i) {
                let s: [f64; 3] = std::array::from_fn(|d| -((rj[d] - ri[d]) / side).round());
                let d2: f64 = (0..3).map(|d| (rj[d] - ri[d] + s[d] * side).powi(2)).sum();
                if d2 < cutoff * cutoff {
                    expected.insert((i as u32, j as u32, s.map(|v| v as i32)));
                }
            }
        }

        let cell = [[side, 0.0, 0.0], [0.0, side, 0.0], [0.0, 0.0, side]];
        let list =
            neighbour_list(&Structure::periodic(vec![1; n], positions, cell, [true; 3]), cutoff).unwrap();
        assert_ordering(&list);
        let found = pair_set(&list);
        assert!(expected.len() > 100_000);
        assert_eq!(found.len(), list.len(), "duplicate pairs");
        let missing: Vec<_> = expected.difference(&found).take(5).collect();
        let extra: Vec<_> = found.difference(&expected).take(5).collect();
        assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    }

    #[test]
    fn empty_and_single_atom_give_empty_lists() {
        let cell = [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]];
        let cases = [
            Structure::molecule(vec![], vec![]),
            Structure::periodic(vec![], vec![], cell, [true; 3]),
            Structure::molecule(vec![1], vec![[1.0, 2.0, 3.0]]),
            Structure::periodic(vec![1], vec![[1.0, 2.0, 3.0]], cell, [true; 3]),
        ];
        for structure in &cases {
            let list = neighbour_list(structure, 5.0).unwrap();
            assert!(list.is_empty() && list.n_unordered() == 0, "{structure:?}");
        }
    }

    #[test]
    fn coincident_atoms_name_both_indices() {
        let mut positions: Vec<[f64; 3]> = (0..5).map(|k| [1.5 * k as f64, 0.0, 0.0]).collect();
        positions[3] = [1.5, 1e-6, 0.0];
        let error = neighbour_list(&Structure::molecule(vec![1; 5], positions), 5.0).unwrap_err();
        let CoreError::CoincidentAtoms { first: 1, second: 3, shift, .. } = &error else {
            panic!("wrong error {error}");
        };
        assert!(shift.is_empty());
        assert!(error.to_string().contains("atoms 1 and 3"), "{error}");
    }

    #[test]
    fn coincident_atoms_across_a_periodic_boundary_are_caught() {
        let cubic = [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]];
        let triclinic = [[4.0, 0.3, -0.2], [1.1, 3.7, 0.4], [-0.6, 0.9, 4.2]];
        for cell in [cubic, triclinic] {
            let structure = Structure::periodic(vec![1; 2], vec![[0.0; 3], cell[0]], cell, [true; 3]);
            let error = neighbour_list(&structure, 3.0).unwrap_err();
            let CoreError::CoincidentAtoms { first: 0, second: 1, shift, .. } = &error else {
                panic!("wrong error {error}");
            };
            assert_eq!(shift, " via cell shift [-1, 0, 0]");
        }
    }

    #[test]
    fn cutoff_is_strict_and_must_be_finite_and_positive() {
        let structure = Structure::molecule(vec![1; 2], vec![[0.0; 3], [2.0, 0.0, 0.0]]);
        assert!(neighbour_list(&structure, 2.0).unwrap().is_empty());
        assert_eq!(neighbour_list(&structure, 2.000001).unwrap().len(), 2);
        for cutoff in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let error = neighbour_list(&structure, cutoff).unwrap_err();
            assert!(matches!(error, CoreError::InvalidConfig(_)), "cutoff {cutoff}: {error}");
        }
    }

    #[test]
    fn absurd_cutoff_is_refused_before_allocating() {
        let cell = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let structure = Structure::periodic(vec![1], vec![[0.0; 3]], cell, [true; 3]);
        for cutoff in [600.0, 1e12] {
            let error = neighbour_list(&structure, cutoff).unwrap_err();
            assert!(
                matches!(&error, CoreError::InvalidStructure(m) if m.contains("periodic images")),
                "{error}"
            );
        }
    }

    #[test]
    fn invalid_structures_and_open_cells_are_handled() {
        let mismatched = Structure::molecule(vec![1; 2], vec![[0.0; 3]]);
        assert!(matches!(neighbour_list(&mismatched, 5.0), Err(CoreError::InvalidStructure(_))));

        // A cell (even a singular one) without pbc is open space.
        let positions = vec![[0.0; 3], [1.0, 0.0, 0.0]];
        let open = Structure::periodic(vec![1; 2], positions, [[0.0; 3]; 3], [false; 3]);
        assert_eq!(assert_matches_brute_force(&open, 5.0), 2);
    }
}
