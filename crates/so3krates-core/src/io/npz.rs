//! NumPy `.npz` datasets: sGDML / MD17 / MD22 and rMD17 layouts.
//!
//! | layout | atomic numbers | positions (Å) | energy | forces |
//! |---|---|---|---|---|
//! | sGDML, MD17, MD22 | `z` (N,) or (M, N) | `R` (M, N, 3) | `E` (M,) or (M, 1) | `F` (M, N, 3) |
//! | rMD17 | `nuclear_charges` (N,) or (M, N) | `coords` (M, N, 3) | `energies` (M,) or (M, 1) | `forces` (M, N, 3) |
//!
//! M is the number of frames, N the number of atoms. The layout is chosen by the positions
//! key (`R` or `coords`). Energies and forces are optional (`None` when absent); positions
//! and atomic numbers are required. Optional periodic keys, for both layouts:
//! - `lattice`: (3, 3) or (M, 3, 3), lattice vectors as **columns** (sGDML stores `cell.T`);
//! - `unit_cell`: (3, 3) or (M, 3, 3), lattice vectors as rows (ASE's `cell`); used only
//!   when `lattice` is absent;
//! - `pbc`: (3,) or (M, 3), boolean or integer; all true when a cell is given without it.
//!
//! Reals may be float64 or float32 (widened to f64), atomic numbers any integer dtype, and
//! arrays C- or Fortran-ordered. Other keys (`name`, `theory`, `md5`, `old_indices`, …) are
//! ignored. Values keep the file's units (MD17/MD22/rMD17: kcal/mol, kcal/(mol·Å)).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use npyz::npz::NpzArchive;
use npyz::{DType, Deserialize, NpyFile, NpyHeader, Order, TypeChar};

use super::{check_frame, data_error, LabelledStructure};
use crate::error::CoreError;
use crate::structure::Structure;

/// Key names of one npz layout.
struct Layout {
    name: &'static str,
    numbers: &'static str,
    positions: &'static str,
    energy: &'static str,
    forces: &'static str,
}

const SGDML: Layout =
    Layout { name: "sGDML/MD17/MD22", numbers: "z", positions: "R", energy: "E", forces: "F" };

const RMD17: Layout = Layout {
    name: "rMD17",
    numbers: "nuclear_charges",
    positions: "coords",
    energy: "energies",
    forces: "forces",
};

/// Reads every frame of an sGDML/MD17/MD22 or rMD17 `.npz` file (layout auto-detected).
///
/// Each frame is checked with [`Structure::validate`] and for finite energy and forces; an
/// error names the key and expected vs actual shape, or the frame (0-based) and atom.
pub fn read_npz(path: &Path) -> Result<Vec<LabelledStructure>, CoreError> {
    read_frames(path).map_err(|message| data_error(path, message))
}

/// [`read_npz`] with errors as bare messages.
fn read_frames(path: &Path) -> Result<Vec<LabelledStructure>, String> {
    let mut archive = NpzArchive::open(path).map_err(|e| format!("cannot open as an .npz archive: {e}"))?;
    let mut names: Vec<String> = archive.array_names().map(str::to_string).collect();
    names.sort();

    let layout = if names.iter().any(|n| n == SGDML.positions) {
        &SGDML
    } else if names.iter().any(|n| n == RMD17.positions) {
        &RMD17
    } else {
        return Err(format!(
            "no positions: expected key 'R' (sGDML/MD17/MD22) or 'coords' (rMD17); \
             the file has keys {names:?}"
        ));
    };

    // Positions fix the frame and atom counts everything else must match.
    let positions = fetch(&mut archive, layout.positions)?
        .ok_or_else(|| format!("missing key '{}'", layout.positions))?;
    let [n_frames, n_atoms] = match positions.shape[..] {
        [m, n, 3] => [m, n],
        _ => return Err(positions.shape_error("(n_frames, n_atoms, 3)")),
    };
    let positions = positions.reals()?;

    // Atomic numbers: one list for all frames, or one per frame.
    let numbers = fetch(&mut archive, layout.numbers)?.ok_or_else(|| {
        format!(
            "missing key '{}' (atomic numbers, shape (n_atoms,) or (n_frames, n_atoms)); \
             the {} layout was detected from key '{}'",
            layout.numbers, layout.name, layout.positions
        )
    })?;
    let numbers = match numbers.shape[..] {
        [n] if n == n_atoms => PerFrame::Shared(numbers.atomic_numbers()?),
        [m, n] if m == n_frames && n == n_atoms => {
            let flat = numbers.atomic_numbers()?;
            PerFrame::Each((0..m).map(|frame| flat[frame * n..(frame + 1) * n].to_vec()).collect())
        }
        _ => return Err(numbers.shape_error(&format!("({n_atoms},) or ({n_frames}, {n_atoms})"))),
    };

    // Optional labels.
    let energies = match fetch(&mut archive, layout.energy)? {
        None => None,
        Some(e) => match e.shape[..] {
            [m] | [m, 1] if m == n_frames => Some(e.reals()?),
            _ => return Err(e.shape_error(&format!("({n_frames},) or ({n_frames}, 1)"))),
        },
    };
    let forces = match fetch(&mut archive, layout.forces)? {
        None => None,
        Some(f) if f.shape == [n_frames, n_atoms, 3] => Some(f.reals()?),
        Some(f) => return Err(f.shape_error(&format!("({n_frames}, {n_atoms}, 3)"))),
    };

    // Optional cell and periodicity (periodic along all three when only a cell is given).
    let cells = read_cells(&mut archive, n_frames)?;
    let pbc = match read_pbc(&mut archive, n_frames)? {
        Some(pbc) => pbc,
        None => PerFrame::Shared([cells.is_some(); 3]),
    };

    // Assemble and check each frame.
    let atom_values = n_atoms * 3;
    let mut frames = Vec::with_capacity(n_frames);
    for frame in 0..n_frames {
        let values = frame * atom_values..(frame + 1) * atom_values;
        let structure = Structure {
            numbers: numbers.get(frame).clone(),
            positions: triples(&positions[values.clone()]),
            cell: cells.as_ref().map(|c| *c.get(frame)),
            pbc: *pbc.get(frame),
        };
        let labelled = LabelledStructure {
            structure,
            energy: energies.as_ref().map(|e| e[frame]),
            forces: forces.as_ref().map(|f| triples(&f[values])),
            stress: None,
        };
        check_frame(&labelled).map_err(|e| format!("frame {frame} (0-based): {e}"))?;
        frames.push(labelled);
    }
    Ok(frames)
}

/// A value given once for all frames, or once per frame.
enum PerFrame<T> {
    Shared(T),
    Each(Vec<T>),
}

impl<T> PerFrame<T> {
    /// `Each` of `values` if `per_frame`, else `Shared` of its single value.
    fn from_values(per_frame: bool, mut values: Vec<T>) -> Self {
        if per_frame || values.len() != 1 {
            PerFrame::Each(values)
        } else {
            PerFrame::Shared(values.remove(0))
        }
    }

    /// The value of `frame` (the caller has checked the frame count).
    fn get(&self, frame: usize) -> &T {
        match self {
            PerFrame::Shared(value) => value,
            PerFrame::Each(values) => &values[frame],
        }
    }
}

/// Reads `lattice` (columns) or else `unit_cell` (rows) as cells with the lattice vectors
/// as rows, Å.
fn read_cells(
    archive: &mut NpzArchive<BufReader<File>>,
    n_frames: usize,
) -> Result<Option<PerFrame<[[f64; 3]; 3]>>, String> {
    let (array, columns) = match fetch(archive, "lattice")? {
        Some(lattice) => (lattice, true),
        None => match fetch(archive, "unit_cell")? {
            Some(unit_cell) => (unit_cell, false),
            None => return Ok(None),
        },
    };

    let per_frame = match array.shape[..] {
        [3, 3] => false,
        [m, 3, 3] if m == n_frames => true,
        _ => return Err(array.shape_error(&format!("(3, 3) or ({n_frames}, 3, 3)"))),
    };

    let cells: Vec<[[f64; 3]; 3]> = array
        .reals()?
        .chunks_exact(9)
        .map(|m| {
            let mut cell = [[0.0; 3]; 3];
            for (i, row) in cell.iter_mut().enumerate() {
                for (j, value) in row.iter_mut().enumerate() {
                    *value = if columns { m[j * 3 + i] } else { m[i * 3 + j] };
                }
            }
            cell
        })
        .collect();

    Ok(Some(PerFrame::from_values(per_frame, cells)))
}

/// Reads `pbc`, (3,) or (n_frames, 3), boolean or integer.
fn read_pbc(
    archive: &mut NpzArchive<BufReader<File>>,
    n_frames: usize,
) -> Result<Option<PerFrame<[bool; 3]>>, String> {
    let Some(array) = fetch(archive, "pbc")? else {
        return Ok(None);
    };

    let per_frame = match array.shape[..] {
        [3] => false,
        [m, 3] if m == n_frames => true,
        _ => return Err(array.shape_error(&format!("(3,) or ({n_frames}, 3)"))),
    };

    let flags = array.bools()?.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    Ok(Some(PerFrame::from_values(per_frame, flags)))
}

/// Consecutive triples of a flat (n, 3) array.
fn triples(flat: &[f64]) -> Vec<[f64; 3]> {
    flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// One array of the archive: its header and raw data, decoded on demand.
struct Entry {
    key: String,
    header: NpyHeader,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// Reads array `key` of the archive, or `None` if there is no such key.
///
/// The whole (decompressed) entry is copied into memory first: decoding element by
/// element straight from the zip stream is several times slower.
fn fetch(archive: &mut NpzArchive<BufReader<File>>, key: &str) -> Result<Option<Entry>, String> {
    let npy = match archive.by_name(key) {
        Ok(Some(npy)) => npy,
        Ok(None) => return Ok(None),
        Err(e) => return Err(format!("key '{key}': cannot read the array: {e}")),
    };

    let header = npy.header().clone();
    let shape = npy
        .shape()
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| format!("key '{key}': shape {:?} is too large", npy.shape()))?;

    let mut bytes = Vec::new();
    npy.into_inner()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("key '{key}': cannot read the array: {e}"))?;
    Ok(Some(Entry { key: key.to_string(), header, shape, bytes }))
}

impl Entry {
    /// "key 'R': expected shape …, got (…)".
    fn shape_error(&self, expected: &str) -> String {
        format!("key '{}': expected shape {expected}, got {}", self.key, format_shape(&self.shape))
    }

    /// The type character and size in bytes of a plain dtype.
    fn plain_type(&self) -> Option<(TypeChar, u64)> {
        match self.header.dtype() {
            DType::Plain(t) => Some((t.type_char(), t.size_field())),
            _ => None,
        }
    }

    /// Error for a dtype the caller cannot use.
    fn dtype_error(&self, expected: &str) -> String {
        format!("key '{}': expected {expected}, got dtype {}", self.key, self.header.dtype().descr())
    }

    /// All elements in C order, decoded as `T` (which must match the file's dtype).
    fn values<T: Deserialize + Copy>(&self) -> Result<Vec<T>, String> {
        let data = NpyFile::with_header(self.header.clone(), &self.bytes[..])
            .into_vec::<T>()
            .map_err(|e| format!("key '{}': cannot decode the data: {e}", self.key))?;

        let expected: usize = self.shape.iter().product();
        if data.len() != expected {
            return Err(format!(
                "key '{}': {} values for shape {}",
                self.key,
                data.len(),
                format_shape(&self.shape)
            ));
        }

        Ok(match self.header.order() {
            Order::C => data,
            Order::Fortran => fortran_to_c(&data, &self.shape),
        })
    }

    /// Reals as f64, from float64 or float32.
    fn reals(&self) -> Result<Vec<f64>, String> {
        match self.plain_type() {
            Some((TypeChar::Float, 8)) => self.values::<f64>(),
            Some((TypeChar::Float, 4)) => Ok(self.values::<f32>()?.into_iter().map(f64::from).collect()),
            _ => Err(self.dtype_error("float64 or float32")),
        }
    }

    /// Integers of any width and signedness, as i64 (u64 beyond i64 is an error).
    fn integers(&self) -> Result<Vec<i64>, String> {
        match self.plain_type() {
            Some((TypeChar::Int, 1)) => self.values::<i8>().map(widen),
            Some((TypeChar::Int, 2)) => self.values::<i16>().map(widen),
            Some((TypeChar::Int, 4)) => self.values::<i32>().map(widen),
            Some((TypeChar::Int, 8)) => self.values::<i64>(),
            Some((TypeChar::Uint, 1)) => self.values::<u8>().map(widen),
            Some((TypeChar::Uint, 2)) => self.values::<u16>().map(widen),
            Some((TypeChar::Uint, 4)) => self.values::<u32>().map(widen),
            Some((TypeChar::Uint, 8)) => self
                .values::<u64>()?
                .into_iter()
                .map(|v| i64::try_from(v).map_err(|_| format!("key '{}': value {v} is too large", self.key)))
                .collect(),
            _ => Err(self.dtype_error("an integer dtype")),
        }
    }

    /// Atomic numbers as u8; values outside 0..=255 are errors (0 and > 99 are left to
    /// [`Structure::validate`], which names the atom).
    fn atomic_numbers(&self) -> Result<Vec<u8>, String> {
        self.integers()?
            .into_iter()
            .enumerate()
            .map(|(index, z)| {
                u8::try_from(z).map_err(|_| {
                    format!("key '{}': entry {index} (flat, 0-based) is {z}, not an atomic number", self.key)
                })
            })
            .collect()
    }

    /// Booleans, from a bool dtype or integers (non-zero is true).
    fn bools(&self) -> Result<Vec<bool>, String> {
        match self.plain_type() {
            Some((TypeChar::Bool, _)) => self.values::<bool>(),
            Some((TypeChar::Int | TypeChar::Uint, _)) => {
                Ok(self.integers()?.into_iter().map(|v| v != 0).collect())
            }
            _ => Err(self.dtype_error("bool or integer")),
        }
    }
}

/// Widens integers of a narrower type to i64.
fn widen<T: Into<i64>>(values: Vec<T>) -> Vec<i64> {
    values.into_iter().map(Into::into).collect()
}

/// Reorders a Fortran-ordered (column-major) array of `shape` into C order.
///
/// `data.len()` must be the product of `shape` (checked by the caller).
fn fortran_to_c<T: Copy>(data: &[T], shape: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(data.len());
    let mut index = vec![0usize; shape.len()];

    for _ in 0..data.len() {
        // Offset of the C-order multi-index `index` in the Fortran layout.
        let mut offset = 0;
        let mut stride = 1;
        for (i, &n) in index.iter().zip(shape) {
            offset += i * stride;
            stride *= n;
        }
        out.push(data[offset]);

        // Next C-order index: the last axis runs fastest.
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

/// NumPy's spelling of a shape: `(9,)`, `(2000, 1)`.
fn format_shape(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

#[cfg(test)]
mod tests;
