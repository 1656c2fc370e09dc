//! Tests of the extended XYZ reader against the fixtures of `tests/data/make_fixtures.py`.

use super::*;
use crate::io::fixtures::fixture;

/// Frame values of `ase_written.extxyz` (see `make_fixtures.py`).
const REF_ENERGIES: [f64; 3] = [-1234.5678901234, -76.25, -215.125];
const CELL: [[f64; 3]; 3] = [[5.4, 0.0, 0.0], [0.1, 5.4, 0.0], [0.2, 0.3, 9.0]];
const REF_STRESS: [[f64; 3]; 3] = [[0.1, 0.6, 0.5], [0.6, 0.2, 0.4], [0.5, 0.4, 0.3]];

/// REF_forces of frame m with n atoms: 0.125 (flat index - m), shape (n, 3).
fn ref_forces(m: usize, n: usize) -> Vec<[f64; 3]> {
    (0..n).map(|i| std::array::from_fn(|k| 0.125 * ((3 * i + k) as f64 - m as f64))).collect()
}

fn read_text(text: &str, keys: &ExtxyzKeys) -> Result<Vec<LabelledStructure>, String> {
    read_extxyz_from(text.as_bytes(), Path::new("inline.extxyz"), keys).map_err(|e| e.to_string())
}

fn error_of(name: &str) -> String {
    let err = read_extxyz(&fixture(name), &ExtxyzKeys::default()).unwrap_err();
    assert!(matches!(err, CoreError::Data { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn ase_written_file_with_mace_keys() {
    let frames = read_extxyz(&fixture("ase_written.extxyz"), &ExtxyzKeys::mace()).unwrap();

    let sizes: Vec<usize> = frames.iter().map(|f| f.structure.len()).collect();
    assert_eq!(sizes, [4, 3, 2]);
    assert_eq!(frames[0].structure.numbers, [6, 1, 1, 8]);
    assert_eq!(frames[1].structure.numbers, [8, 1, 1]);
    assert_eq!(frames[2].structure.numbers, [14, 14]);
    assert_eq!(frames[1].structure.positions[1], [0.0, 0.763, -0.477]);

    for (m, frame) in frames.iter().enumerate() {
        assert_eq!(frame.energy, Some(REF_ENERGIES[m]));
        assert_eq!(frame.forces, Some(ref_forces(m, frame.structure.len())));
    }

    // Molecules: no cell, pbc="F F F". Periodic frame: Lattice rows, pbc="T T F", and
    // REF_stress as ASE writes a 3x3 info array (`_JSON [[...]]`, rows).
    assert_eq!(frames[0].structure.cell, None);
    assert_eq!(frames[0].structure.pbc, [false; 3]);
    assert_eq!(frames[2].structure.cell, Some(CELL));
    assert_eq!(frames[2].structure.pbc, [true, true, false]);
    assert_eq!(frames[0].stress, None);
    assert_eq!(frames[2].stress, Some(REF_STRESS));
}

#[test]
fn ase_written_file_with_default_keys_reads_calculator_results() {
    let frames = read_extxyz(&fixture("ase_written.extxyz"), &ExtxyzKeys::default()).unwrap();

    for (m, frame) in frames.iter().enumerate() {
        assert_eq!(frame.energy, Some(REF_ENERGIES[m] + 1000.0));
        let minus: Vec<[f64; 3]> =
            ref_forces(m, frame.structure.len()).iter().map(|f| f.map(|v| -v)).collect();
        assert_eq!(frame.forces, Some(minus));
    }

    // ASE wrote the Voigt stress -(1, 2, 3, 4, 5, 6) as 9 numbers; read back as 3x3.
    let s = frames[2].stress.unwrap();
    assert_eq!(s, [[-1.0, -6.0, -5.0], [-6.0, -2.0, -4.0], [-5.0, -4.0, -3.0]]);
}

#[test]
fn absent_label_keys_give_none() {
    let keys = ExtxyzKeys::new("Energy", "nonexistent", "virial");
    let frames = read_extxyz(&fixture("ase_written.extxyz"), &keys).unwrap();

    assert!(frames.iter().all(|f| f.energy.is_none() && f.forces.is_none()));
    assert!(frames.iter().all(|f| f.stress.is_none()));
}

#[test]
fn columns_in_any_order_z_column_and_quoted_values() {
    let frames = read_extxyz(&fixture("reordered.extxyz"), &ExtxyzKeys::mace()).unwrap();
    assert_eq!(frames.len(), 2);

    // Forces first, then Z, an integer and a logical column to skip, `key = value`.
    let water = &frames[0];
    assert_eq!(water.structure.numbers, [8, 1, 1]);
    assert_eq!(water.structure.positions[2], [0.0, -0.763, -0.477]);
    assert_eq!(water.forces.as_ref().unwrap()[0], [0.5, -0.25, 0.125]);
    assert_eq!(water.energy, Some(-76.25));
    assert_eq!(water.structure.pbc, [false; 3]);

    // Lower/upper case species; Lattice without pbc means periodic along all three.
    let cube = &frames[1];
    assert_eq!(cube.structure.numbers, [14, 14]);
    assert_eq!(cube.structure.positions[1], [2.0, 2.0, 2.0]);
    assert_eq!(cube.forces.as_ref().unwrap()[1], [-1.0, -2.0, -3.0]);
    assert_eq!(cube.structure.cell, Some([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]));
    assert_eq!(cube.structure.pbc, [true; 3]);
    assert_eq!(cube.energy, Some(-8.5));
}

#[test]
fn plain_xyz_with_trailing_blank_line() {
    let frames = read_extxyz(&fixture("plain.xyz"), &ExtxyzKeys::default()).unwrap();

    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].structure.positions[1], [0.0, 0.0, 0.74]);
    assert!(frames.iter().all(|f| f.energy.is_none() && f.forces.is_none()));
}

#[test]
fn truncated_file_says_how_many_atom_lines() {
    let message = error_of("bad_truncated.extxyz");
    assert!(
        message
            .contains("frame 1 (0-based) declares 5 atoms on line 5, but the file ends after 3 atom lines"),
        "{message}"
    );
}

#[test]
fn unknown_symbol_names_frame_line_and_atom() {
    let message = error_of("bad_symbol.extxyz");
    assert!(message.contains("frame 0 (0-based), line 4, atom 1: unknown element symbol 'Xx'"), "{message}");
}

#[test]
fn wrong_lattice_count() {
    let message = error_of("bad_lattice.extxyz");
    assert!(message.contains("frame 0 (0-based), line 2: Lattice: expected 9 numbers, got 8"), "{message}");
}

#[test]
fn nan_position_names_frame_and_atom() {
    let message = error_of("bad_nan.extxyz");
    assert!(message.contains("frame 1 (0-based, lines 4-8)"), "{message}");
    assert!(message.contains("atom 2 has a non-finite position"), "{message}");
}

#[test]
fn bad_numbers_and_counts() {
    let keys = ExtxyzKeys::default();
    let header = "Properties=species:S:1:pos:R:3:forces:R:3";

    let bad_position = read_text(&format!("1\n{header}\nH 0 0 abc 0 0 0\n"), &keys);
    assert!(bad_position.unwrap_err().contains("line 3, atom 0: 'abc' in column 'pos' is not a number"));

    let bad_force = read_text(&format!("1\n{header}\nH 0 0 0 0 x 0\n"), &keys);
    assert!(bad_force.unwrap_err().contains("'x' in column 'forces' is not a number"));

    let short_line = read_text(&format!("1\n{header}\nH 0 0 0\n"), &keys);
    assert!(short_line.unwrap_err().contains("expected 7 columns (from Properties), got 4"));

    let bad_count = read_text("two\ncomment\n", &keys);
    assert!(bad_count
        .unwrap_err()
        .contains("line 1: expected the atom count of frame 0 (0-based), got 'two'"));

    let no_comment = read_text("1\n", &keys);
    assert!(no_comment.unwrap_err().contains("expected a comment line"));

    let bad_energy = read_text("1\nenergy=abc\nH 0 0 0\n", &keys);
    assert!(bad_energy.unwrap_err().contains("energy key 'energy': expected one number, got 'abc'"));

    let inf_energy = read_text("1\nenergy=inf\nH 0 0 0\n", &keys);
    assert!(inf_energy.unwrap_err().contains("frame 0 (0-based, lines 1-3): energy is not finite"));

    let bad_z = read_text("1\nProperties=Z:I:1:pos:R:3\n0 0 0 0\n", &keys);
    assert!(bad_z.unwrap_err().contains("'0' in column 'Z' is not an atomic number"));
}

#[test]
fn bad_properties() {
    let keys = ExtxyzKeys::default();
    let cases = [
        ("Properties=species:S:1:pos:R", "expected name:type:count triples"),
        ("Properties=species:S:1", "no 'pos' column"),
        ("Properties=pos:R:3", "neither a 'species' nor a 'Z' column"),
        ("Properties=species:S:1:pos:R:2", "column 'pos' must be R:3, got R:2"),
        ("Properties=species:S:1:pos:R:3:x:Q:1", "column 'x' has type 'Q'"),
        ("Properties=species:S:1:pos:R:3:forces:I:3", "column 'forces' must be R:3"),
        ("pbc=\"T F\"", "pbc: expected 3 booleans, got 2"),
        ("stress=\"1 2 3\"", "stress key 'stress': expected 9 numbers (3x3) or 6 (Voigt)"),
    ];
    for (comment, expected) in cases {
        let err = read_text(&format!("1\n{comment}\nH 0 0 0\n"), &keys).unwrap_err();
        assert!(err.contains(expected), "{comment}: {err}");
        assert!(err.starts_with("inline.extxyz: frame 0 (0-based), line 2: "), "{err}");
    }
}

#[test]
fn comment_line_variants() {
    let keys = ExtxyzKeys::default();

    // Nested Lattice (libAtoms spec), bare pbc, Voigt stress.
    let text = "1\nLattice=[[3, 0, 0], [0, 3, 0], [0, 0, 3]] pbc stress=\"1 2 3 4 5 6\"\nH 0 0 0\n";
    let frame = &read_text(text, &keys).unwrap()[0];
    assert_eq!(frame.structure.cell, Some([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]));
    assert_eq!(frame.structure.pbc, [true; 3]);
    assert_eq!(frame.stress, Some([[1.0, 6.0, 5.0], [6.0, 2.0, 4.0], [5.0, 4.0, 3.0]]));

    // One pbc value for all three; sGDML's `Energy=`; a Fortran exponent.
    let text = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=F Energy=-1.5D+01\nH 0 0 0\n";
    let frame = &read_text(text, &ExtxyzKeys::new("Energy", "forces", "stress")).unwrap()[0];
    assert_eq!(frame.structure.pbc, [false; 3]);
    assert_eq!(frame.energy, Some(-15.0));

    // Bare label keys in a plain XYZ comment are no labels.
    let frame = &read_text("1\nlow energy stress conformer\nH 0 0 0\n", &keys).unwrap()[0];
    assert_eq!((frame.energy, frame.stress), (None, None));

    // Periodic without a cell is rejected by Structure::validate, with the frame.
    let err = read_text("1\npbc=\"T T T\"\nH 0 0 0\n", &keys).unwrap_err();
    assert!(err.contains("frame 0 (0-based, lines 1-3)") && err.contains("no cell"), "{err}");
}

#[test]
fn empty_input_has_no_frames() {
    assert!(read_text("", &ExtxyzKeys::default()).unwrap().is_empty());
    assert!(read_text("\n\n", &ExtxyzKeys::default()).unwrap().is_empty());
}
