//! Writing extended XYZ that ASE (and [`read_extxyz`](super::read_extxyz)) reads back.

use std::io::{self, Write};

use super::elements::chemical_symbol;
use super::{ExtxyzKeys, LabelledStructure};

/// Writes frames as extended XYZ that ASE reads back, with ASE's label names `energy`,
/// `forces` and `stress` (see [`write_extxyz_with_keys`]).
pub fn write_extxyz<W: Write>(out: W, frames: &[LabelledStructure]) -> io::Result<()> {
    write_extxyz_with_keys(out, frames, &ExtxyzKeys::default())
}

/// Writes frames as extended XYZ with the given label names.
///
/// Per frame: `Lattice` (if there is a cell), `Properties=species:S:1:pos:R:3` plus
/// `:<forces>:R:3` if there are forces, `<energy>=…`, `<stress>="9 numbers"` (Fortran
/// order, as ASE), and `pbc`. Reals are written with the shortest text that reads back
/// to the same f64 (full precision, unlike ASE's 8 decimals). Fails with
/// `InvalidData` for an atomic number without a symbol (0 or > 99) or a forces list
/// whose length differs from the atom count.
pub fn write_extxyz_with_keys<W: Write>(
    mut out: W,
    frames: &[LabelledStructure],
    keys: &ExtxyzKeys,
) -> io::Result<()> {
    for (frame, labelled) in frames.iter().enumerate() {
        let structure = &labelled.structure;
        let invalid = |message: String| {
            io::Error::new(io::ErrorKind::InvalidData, format!("frame {frame} (0-based): {message}"))
        };

        // Comment line.
        let mut comment = String::new();
        if let Some(cell) = &structure.cell {
            comment.push_str(&format!("Lattice=\"{}\" ", join_reals(cell.iter().flatten())));
        }
        comment.push_str("Properties=species:S:1:pos:R:3");
        if labelled.forces.is_some() {
            comment.push_str(&format!(":{}:R:3", keys.forces));
        }
        if let Some(energy) = labelled.energy {
            comment.push_str(&format!(" {}={energy:?}", keys.energy));
        }
        if let Some(s) = &labelled.stress {
            let fortran = [0, 1, 2].iter().flat_map(|&j| s.iter().map(move |row| &row[j]));
            comment.push_str(&format!(" {}=\"{}\"", keys.stress, join_reals(fortran)));
        }
        let flag = |p: bool| if p { "T" } else { "F" };
        let [a, b, c] = structure.pbc;
        comment.push_str(&format!(" pbc=\"{} {} {}\"", flag(a), flag(b), flag(c)));

        writeln!(out, "{}", structure.len())?;
        writeln!(out, "{comment}")?;

        // Atom lines.
        if let Some(forces) = &labelled.forces {
            if forces.len() != structure.len() {
                return Err(invalid(format!("{} forces for {} atoms", forces.len(), structure.len())));
            }
        }
        for (atom, (&z, r)) in structure.numbers.iter().zip(&structure.positions).enumerate() {
            let symbol = chemical_symbol(z)
                .ok_or_else(|| invalid(format!("atom {atom} has atomic number {z}, no symbol")))?;
            write!(out, "{symbol:<2} {}", join_reals(r.iter()))?;
            if let Some(forces) = &labelled.forces {
                write!(out, " {}", join_reals(forces[atom].iter()))?;
            }
            writeln!(out)?;
        }
    }
    out.flush()
}

/// Reals separated by spaces, each in the shortest form that reads back exactly.
fn join_reals<'a>(values: impl Iterator<Item = &'a f64>) -> String {
    values.map(|v| format!("{v:?}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::io::fixtures::fixture;
    use crate::io::read_extxyz_from;
    use crate::structure::Structure;

    fn write_to_string(frames: &[LabelledStructure], keys: &ExtxyzKeys) -> String {
        let mut out = Vec::new();
        write_extxyz_with_keys(&mut out, frames, keys).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn read_back(text: &str, keys: &ExtxyzKeys) -> Vec<LabelledStructure> {
        read_extxyz_from(text.as_bytes(), Path::new("written.extxyz"), keys).unwrap()
    }

    /// The frames of `ase_written.extxyz` with their REF_* labels (molecules, a periodic
    /// frame with stress, varying atom counts).
    fn ase_frames() -> Vec<LabelledStructure> {
        crate::io::read_extxyz(&fixture("ase_written.extxyz"), &ExtxyzKeys::mace()).unwrap()
    }

    #[test]
    fn round_trip_is_exact() {
        let frames = ase_frames();

        for keys in [ExtxyzKeys::default(), ExtxyzKeys::mace()] {
            let text = write_to_string(&frames, &keys);
            assert_eq!(read_back(&text, &keys), frames, "{text}");
        }
    }

    #[test]
    fn round_trip_keeps_full_precision_and_partial_labels() {
        let structure = Structure::periodic(
            vec![1, 99, 8],
            vec![[1.0 / 3.0, -0.0, 1e-20], [1e17, 2.5, -7.125], [0.1, 0.2, 0.3]],
            [[10.0, 0.0, 0.0], [0.0, 11.0, 0.0], [0.0, 0.0, 12.0]],
            [false, true, false],
        );
        let frames = vec![
            LabelledStructure {
                structure: structure.clone(),
                energy: Some(-97208.40600498),
                forces: None,
                stress: Some([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
            },
            LabelledStructure {
                structure: Structure::molecule(vec![6], vec![[0.0; 3]]),
                energy: None,
                forces: Some(vec![[f64::MIN_POSITIVE, f64::MAX, -1.0 / 7.0]]),
                stress: None,
            },
        ];

        let text = write_to_string(&frames, &ExtxyzKeys::default());
        assert_eq!(read_back(&text, &ExtxyzKeys::default()), frames, "{text}");
    }

    #[test]
    fn comment_line_is_in_ase_order() {
        let frames = ase_frames();
        let text = write_to_string(&frames[2..], &ExtxyzKeys::default());
        let comment = text.lines().nth(1).unwrap();

        assert_eq!(
            comment,
            "Lattice=\"5.4 0.0 0.0 0.1 5.4 0.0 0.2 0.3 9.0\" \
             Properties=species:S:1:pos:R:3:forces:R:3 energy=-215.125 \
             stress=\"0.1 0.6 0.5 0.6 0.2 0.4 0.5 0.4 0.3\" pbc=\"T T F\""
        );
    }

    /// Pins the writer's output to `tests/data/written_by_rust.extxyz`, which
    /// `make_fixtures.py` checks ASE reads back exactly. After an intended change of the
    /// format, rerun with `SO3KRATES_BLESS=1` and then the script.
    #[test]
    fn writer_output_matches_golden_file() {
        let text = write_to_string(&ase_frames(), &ExtxyzKeys::default());
        let golden = fixture("written_by_rust.extxyz");

        if std::env::var_os("SO3KRATES_BLESS").is_some() {
            std::fs::write(&golden, &text).unwrap();
        }
        let expected = std::fs::read_to_string(&golden).unwrap();
        assert_eq!(text, expected);
    }

    #[test]
    fn unwritable_frames_are_errors() {
        let no_symbol = LabelledStructure {
            structure: Structure::molecule(vec![0], vec![[0.0; 3]]),
            energy: None,
            forces: None,
            stress: None,
        };
        let err = write_extxyz(Vec::new(), &[no_symbol]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("frame 0 (0-based): atom 0 has atomic number 0"));

        let wrong_forces = LabelledStructure {
            structure: Structure::molecule(vec![1, 1], vec![[0.0; 3], [0.7, 0.0, 0.0]]),
            energy: None,
            forces: Some(vec![[0.0; 3]]),
            stress: None,
        };
        let err = write_extxyz(Vec::new(), &[wrong_forces]).unwrap_err();
        assert!(err.to_string().contains("1 forces for 2 atoms"), "{err}");
    }
}
