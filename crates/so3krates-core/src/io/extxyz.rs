//! Extended XYZ, as ASE reads and writes it (`ase/io/extxyz.py`).
//!
//! A frame is: the atom count N; a comment line of `key=value` pairs (see
//! [`extxyz_comment`](super::extxyz_comment)); N atom lines whose columns `Properties`
//! describes. Frames follow each other directly; blank lines between them are skipped.
//!
//! Keys used on the comment line:
//! - `Lattice="ax ay az bx by bz cx cy cz"`: exactly 9 numbers, the lattice vectors one
//!   after another (cell rows), Å;
//! - `pbc="T T F"` (or one value for all three): if absent, all true when `Lattice` is
//!   present, else all false;
//! - `Properties=name:type:count:…` with type S, I, R or L; absent means
//!   `species:S:1:pos:R:3`. Used columns: `pos` (R:3, Å), `species` (S:1, capitalised as
//!   ASE does) or `Z` (I:1; preferred when both exist, as in ASE), and the forces column
//!   named by [`ExtxyzKeys::forces`] (R:3). Other columns are skipped;
//! - the energy key ([`ExtxyzKeys::energy`]): one number;
//! - the stress key ([`ExtxyzKeys::stress`]): 9 numbers in Fortran order as ASE writes
//!   them, a nested `[[…], …]` or `_JSON [[…], …]` 3×3 (rows), or 6 Voigt numbers
//!   (xx yy zz yz xz xy).
//!
//! Values keep the file's units (ASE: Å, eV, eV/Å, eV/Å³).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::elements::{atomic_number, capitalise, chemical_symbol};
use super::extxyz_comment::{parse_bools, parse_numbers, parse_real, CommentLine};
use super::{check_frame, data_error, ExtxyzKeys, LabelledStructure};
use crate::error::CoreError;
use crate::structure::Structure;

/// Reads every frame of an extended XYZ (or plain XYZ) file.
///
/// Errors name the frame (0-based) and the line (1-based): a bad atom count, a truncated
/// frame, an unknown element symbol, a bad number, a `Lattice` without 9 numbers, a
/// non-finite position, energy or force.
pub fn read_extxyz(path: &Path, keys: &ExtxyzKeys) -> Result<Vec<LabelledStructure>, CoreError> {
    let file = File::open(path).map_err(|e| data_error(path, format!("cannot open: {e}")))?;
    read_extxyz_from(BufReader::new(file), path, keys)
}

/// [`read_extxyz`] from any buffered reader; `source` names it in error messages.
pub fn read_extxyz_from<R: BufRead>(
    reader: R,
    source: &Path,
    keys: &ExtxyzKeys,
) -> Result<Vec<LabelledStructure>, CoreError> {
    read_frames(reader, keys).map_err(|message| data_error(source, message))
}

/// [`read_extxyz_from`] with errors as bare messages.
fn read_frames<R: BufRead>(reader: R, keys: &ExtxyzKeys) -> Result<Vec<LabelledStructure>, String> {
    let mut lines = Lines { reader, text: String::new(), number: 0 };
    let mut frames = Vec::new();

    loop {
        let frame = frames.len();

        // Atom count (blank lines before it are skipped; end of file ends the reading).
        let count_line = loop {
            if !lines.advance()? {
                return Ok(frames);
            }
            if !lines.text.trim().is_empty() {
                break lines.number;
            }
        };
        let n_atoms: usize = lines.text.trim().parse().map_err(|_| {
            format!(
                "line {count_line}: expected the atom count of frame {frame} (0-based), got '{}'",
                lines.text.trim()
            )
        })?;

        // Comment line.
        if !lines.advance()? {
            return Err(format!(
                "frame {frame} (0-based): the file ends after the atom count on line \
                 {count_line}; expected a comment line"
            ));
        }
        let header = FrameHeader::parse(&lines.text, keys)
            .map_err(|e| format!("frame {frame} (0-based), line {}: {e}", lines.number))?;

        // Atom lines.
        let mut atoms = AtomColumns::with_capacity(n_atoms, header.columns.forces.is_some());
        for atom in 0..n_atoms {
            if !lines.advance()? {
                return Err(format!(
                    "frame {frame} (0-based) declares {n_atoms} atoms on line {count_line}, \
                     but the file ends after {atom} atom lines (truncated file)"
                ));
            }
            header
                .columns
                .parse_atom(&lines.text, &mut atoms)
                .map_err(|e| format!("frame {frame} (0-based), line {}, atom {atom}: {e}", lines.number))?;
        }

        // Assemble and check.
        let structure = Structure {
            numbers: atoms.numbers,
            positions: atoms.positions,
            cell: header.cell,
            pbc: header.pbc,
        };
        let labelled = LabelledStructure {
            structure,
            energy: header.energy,
            forces: atoms.forces,
            stress: header.stress,
        };
        check_frame(&labelled)
            .map_err(|e| format!("frame {frame} (0-based, lines {count_line}-{}): {e}", lines.number))?;
        frames.push(labelled);
    }
}

/// Line-by-line reading with the 1-based number of the current line.
struct Lines<R> {
    reader: R,
    /// The current line without its line ending.
    text: String,
    number: usize,
}

impl<R: BufRead> Lines<R> {
    /// Moves to the next line; `false` at the end of the input.
    fn advance(&mut self) -> Result<bool, String> {
        self.text.clear();
        let read = self
            .reader
            .read_line(&mut self.text)
            .map_err(|e| format!("line {}: cannot read: {e}", self.number + 1))?;
        if read == 0 {
            return Ok(false);
        }
        self.number += 1;
        let content = self.text.trim_end_matches(['\n', '\r']).len();
        self.text.truncate(content);
        Ok(true)
    }
}

/// What the comment line says about a frame.
struct FrameHeader {
    columns: Columns,
    cell: Option<[[f64; 3]; 3]>,
    pbc: [bool; 3],
    energy: Option<f64>,
    stress: Option<[[f64; 3]; 3]>,
}

impl FrameHeader {
    fn parse(line: &str, keys: &ExtxyzKeys) -> Result<Self, String> {
        let comment = CommentLine::parse(line);

        let cell = match comment.get("Lattice") {
            None => None,
            Some(value) => {
                let (v, _) = parse_numbers(value.unwrap_or("")).map_err(|e| format!("Lattice: {e}"))?;
                if v.len() != 9 {
                    return Err(format!("Lattice: expected 9 numbers, got {}", v.len()));
                }
                Some([[v[0], v[1], v[2]], [v[3], v[4], v[5]], [v[6], v[7], v[8]]])
            }
        };

        let pbc = match comment.get("pbc") {
            None => [cell.is_some(); 3],
            Some(None) => [true; 3],
            Some(Some(value)) => match parse_bools(value).map_err(|e| format!("pbc: {e}"))?[..] {
                [p] => [p; 3],
                [a, b, c] => [a, b, c],
                ref other => return Err(format!("pbc: expected 3 booleans, got {}", other.len())),
            },
        };

        // A bare label key (a word of a plain XYZ comment, "low energy conformer") holds no
        // label: it counts as absent.
        let energy = match comment.get(&keys.energy).flatten() {
            None => None,
            Some(value) => match parse_numbers(value) {
                Ok((v, _)) if v.len() == 1 => Some(v[0]),
                _ => return Err(format!("energy key '{}': expected one number, got '{value}'", keys.energy)),
            },
        };

        let stress = match comment.get(&keys.stress).flatten() {
            None => None,
            Some(value) => {
                Some(parse_stress(value).map_err(|e| format!("stress key '{}': {e}", keys.stress))?)
            }
        };

        let properties = match comment.get("Properties") {
            None => "species:S:1:pos:R:3",
            Some(value) => value.unwrap_or(""),
        };
        let columns =
            Columns::parse(properties, &keys.forces).map_err(|e| format!("Properties={properties}: {e}"))?;

        Ok(Self { columns, cell, pbc, energy, stress })
    }
}

/// A stress as 9 numbers (Fortran order, ASE), nested 3×3 rows, or 6 Voigt numbers.
fn parse_stress(value: &str) -> Result<[[f64; 3]; 3], String> {
    let (v, nested) = parse_numbers(value)?;
    match (v.len(), nested) {
        (9, true) => Ok([[v[0], v[1], v[2]], [v[3], v[4], v[5]], [v[6], v[7], v[8]]]),
        (9, false) => Ok([[v[0], v[3], v[6]], [v[1], v[4], v[7]], [v[2], v[5], v[8]]]),
        (6, _) => Ok([[v[0], v[5], v[4]], [v[5], v[1], v[3]], [v[4], v[3], v[2]]]),
        (n, _) => Err(format!("expected 9 numbers (3x3) or 6 (Voigt), got {n}")),
    }
}

/// Where the used columns sit on an atom line (0-based token indices).
struct Columns {
    total: usize,
    /// `Z` column (true) or `species` column (false), and its index.
    numbers: (bool, usize),
    positions: usize,
    forces: Option<usize>,
}

impl Columns {
    /// Parses `name:type:count` triples and finds the columns this reader uses.
    fn parse(properties: &str, forces_key: &str) -> Result<Self, String> {
        let fields: Vec<&str> = properties.split(':').collect();
        if !fields.len().is_multiple_of(3) {
            return Err("expected name:type:count triples".to_string());
        }

        let (mut species, mut z, mut positions, mut forces) = (None, None, None, None);
        let mut total = 0;
        for triple in fields.chunks_exact(3) {
            let (name, kind) = (triple[0], triple[1]);
            let count: usize = triple[2]
                .parse()
                .ok()
                .filter(|&c| c > 0)
                .ok_or_else(|| format!("column '{name}' has count '{}'", triple[2]))?;
            if !matches!(kind, "S" | "I" | "R" | "L") {
                return Err(format!("column '{name}' has type '{kind}', expected S, I, R or L"));
            }

            let expect = |want: (&str, usize)| match (kind, count) == want {
                true => Ok(Some(total)),
                false => Err(format!("column '{name}' must be {}:{}, got {kind}:{count}", want.0, want.1)),
            };
            match name {
                "species" => species = expect(("S", 1))?,
                "Z" => z = expect(("I", 1))?,
                "pos" => positions = expect(("R", 3))?,
                _ if name == forces_key => forces = expect(("R", 3))?,
                _ => {}
            }
            total += count;
        }

        let numbers = match (z, species) {
            (Some(index), _) => (true, index),
            (None, Some(index)) => (false, index),
            (None, None) => return Err("neither a 'species' nor a 'Z' column".to_string()),
        };
        let positions = positions.ok_or_else(|| "no 'pos' column".to_string())?;
        Ok(Self { total, numbers, positions, forces })
    }

    /// Parses one atom line into `atoms`.
    fn parse_atom(&self, line: &str, atoms: &mut AtomColumns) -> Result<(), String> {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() != self.total {
            return Err(format!("expected {} columns (from Properties), got {}", self.total, tokens.len()));
        }

        let number = match self.numbers {
            (true, index) => {
                let token = tokens[index];
                token
                    .parse::<u8>()
                    .ok()
                    .filter(|&z| chemical_symbol(z).is_some())
                    .ok_or_else(|| format!("'{token}' in column 'Z' is not an atomic number 1..=99"))?
            }
            (false, index) => {
                let symbol = capitalise(tokens[index]);
                atomic_number(&symbol).ok_or_else(|| format!("unknown element symbol '{}'", tokens[index]))?
            }
        };
        atoms.numbers.push(number);
        atoms.positions.push(parse_vector(&tokens, self.positions, "pos")?);

        if let (Some(index), Some(forces)) = (self.forces, atoms.forces.as_mut()) {
            forces.push(parse_vector(&tokens, index, "forces")?);
        }
        Ok(())
    }
}

/// Three reals from `tokens[start..start + 3]` (the caller has checked the count).
fn parse_vector(tokens: &[&str], start: usize, column: &str) -> Result<[f64; 3], String> {
    let mut vector = [0.0; 3];
    for (k, value) in vector.iter_mut().enumerate() {
        let token = tokens[start + k];
        *value =
            parse_real(token).ok_or_else(|| format!("'{token}' in column '{column}' is not a number"))?;
    }
    Ok(vector)
}

/// Per-atom values of one frame, collected line by line.
struct AtomColumns {
    numbers: Vec<u8>,
    positions: Vec<[f64; 3]>,
    forces: Option<Vec<[f64; 3]>>,
}

impl AtomColumns {
    fn with_capacity(n_atoms: usize, has_forces: bool) -> Self {
        // The count comes from the file: cap the reservation so a wrong count cannot
        // allocate absurd memory before the truncation is noticed.
        let capacity = n_atoms.min(1 << 20);
        Self {
            numbers: Vec::with_capacity(capacity),
            positions: Vec::with_capacity(capacity),
            forces: has_forces.then(|| Vec::with_capacity(capacity)),
        }
    }
}

#[cfg(test)]
mod tests;
