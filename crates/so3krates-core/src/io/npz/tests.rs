//! Tests of the `.npz` reader against the fixtures of `tests/data/make_fixtures.py`.

use super::*;
use crate::io::fixtures::{fixture, md17_ethanol};

/// Formaldehyde of `make_fixtures.py`: Z and base positions (Å).
const Z: [u8; 4] = [6, 8, 1, 1];
const BASE: [[f64; 3]; 4] = [[0.0, 0.0, 0.0], [1.2, 0.0, 0.0], [-0.6, 0.9, 0.0], [-0.6, -0.9, 0.0]];

/// R[m, i, k] = BASE[i, k] + 0.01 m (k + 1), as `make_fixtures.py` writes it.
fn positions(m: usize) -> Vec<[f64; 3]> {
    BASE.iter().map(|b| std::array::from_fn(|k| b[k] + 0.01 * m as f64 * (k + 1) as f64)).collect()
}

/// E[m] = -100.5 - 0.25 m.
fn energy(m: usize) -> f64 {
    -100.5 - 0.25 * m as f64
}

/// F[m, i, k] = 0.1 (i + 1) - 0.05 k + 0.01 m.
fn forces(m: usize) -> Vec<[f64; 3]> {
    (0..4)
        .map(|i| std::array::from_fn(|k| 0.1 * (i + 1) as f64 - 0.05 * k as f64 + 0.01 * m as f64))
        .collect()
}

/// Asserts |a - b| <= tol elementwise.
fn assert_close(a: &[[f64; 3]], b: &[[f64; 3]], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
    }
}

/// Asserts the frames hold the formula values (positions, energy, forces if present).
fn assert_formula_frames(frames: &[LabelledStructure], tol: f64) {
    assert_eq!(frames.len(), 3);
    for (m, frame) in frames.iter().enumerate() {
        assert_close(&frame.structure.positions, &positions(m), tol);
        assert!((frame.energy.unwrap() - energy(m)).abs() <= tol * 100.0);
        if let Some(f) = &frame.forces {
            assert_close(f, &forces(m), tol);
        }
        assert_eq!(frame.stress, None);
    }
}

fn error_of(name: &str) -> String {
    let err = read_npz(&fixture(name)).unwrap_err();
    assert!(matches!(err, CoreError::Data { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn sgdml_with_energy_column_and_shared_z() {
    let frames = read_npz(&fixture("sgdml_e2d.npz")).unwrap();

    assert_formula_frames(&frames, 1e-12);
    for frame in &frames {
        assert_eq!(frame.structure.numbers, Z);
        assert!(frame.forces.is_some());
        assert_eq!(frame.structure.cell, None);
        assert_eq!(frame.structure.pbc, [false; 3]);
    }
}

#[test]
fn sgdml_with_flat_energy_per_frame_z_and_fortran_order() {
    let frames = read_npz(&fixture("sgdml_e1d_zframes.npz")).unwrap();

    assert_formula_frames(&frames, 1e-12);
    assert_eq!(frames[0].structure.numbers, Z);
    assert_eq!(frames[1].structure.numbers, [8, 6, 1, 1]);
    assert_eq!(frames[2].structure.numbers, Z);
}

#[test]
fn rmd17_keys() {
    let frames = read_npz(&fixture("rmd17.npz")).unwrap();

    assert_formula_frames(&frames, 1e-12);
    assert_eq!(frames[2].structure.numbers, Z);
    assert!(frames.iter().all(|f| f.forces.is_some()));
}

#[test]
fn float32_arrays_are_widened() {
    let frames = read_npz(&fixture("sgdml_f32.npz")).unwrap();

    // f32 keeps ~7 significant digits: 1e-6 Å on positions, 1e-4 on |E| ~ 100.
    assert_formula_frames(&frames, 1e-6);
    assert_eq!(frames[0].structure.numbers, Z);
}

#[test]
fn lattice_is_stored_as_columns() {
    let frames = read_npz(&fixture("sgdml_lattice.npz")).unwrap();
    let rows = [[5.0, 0.0, 0.0], [1.0, 6.0, 0.0], [0.5, 0.2, 7.0]];

    for frame in &frames {
        assert_eq!(frame.structure.cell, Some(rows));
        assert_eq!(frame.structure.pbc, [true; 3], "no pbc key: periodic along all");
    }
}

#[test]
fn unit_cell_per_frame_is_rows_and_pbc_is_read() {
    let frames = read_npz(&fixture("unit_cell_pbc.npz")).unwrap();
    let rows = [[5.0, 0.0, 0.0], [1.0, 6.0, 0.0], [0.5, 0.2, 7.0]];

    for (m, frame) in frames.iter().enumerate() {
        let cell = frame.structure.cell.unwrap();
        let scale = 1.0 + 0.1 * m as f64;
        for (row, want) in cell.iter().zip(&rows) {
            assert_close(&[*row], &[want.map(|v| v * scale)], 1e-12);
        }
        assert_eq!(frame.structure.pbc, [true, true, false]);
        assert_eq!(frame.forces, None);
    }
}

#[test]
fn missing_forces_are_none() {
    let frames = read_npz(&fixture("sgdml_missing_f.npz")).unwrap();

    assert_formula_frames(&frames, 1e-12);
    assert!(frames.iter().all(|f| f.forces.is_none() && f.energy.is_some()));
}

#[test]
fn missing_atomic_numbers_name_the_key() {
    let message = error_of("sgdml_missing_z.npz");
    assert!(message.contains("missing key 'z'"), "{message}");
    assert!(message.contains("sgdml_missing_z.npz"), "{message}");
}

#[test]
fn shape_mismatch_says_expected_and_got() {
    let message = error_of("sgdml_shape_mismatch.npz");
    assert!(message.contains("key 'F': expected shape (3, 4, 3), got (3, 5, 3)"), "{message}");
}

#[test]
fn nan_force_names_frame_and_atom() {
    let message = error_of("sgdml_nan.npz");
    assert!(message.contains("frame 2 (0-based)"), "{message}");
    assert!(message.contains("atom 1 has a non-finite force"), "{message}");
}

#[test]
fn unknown_layout_lists_the_keys() {
    let message = error_of("unknown_layout.npz");
    assert!(message.contains("expected key 'R'"), "{message}");
    assert!(message.contains("\"numbers\", \"pos\""), "{message}");
}

#[test]
fn not_an_npz_file() {
    let message = error_of("plain.xyz");
    assert!(message.contains("cannot open as an .npz archive"), "{message}");
}

#[test]
fn fortran_order_is_reordered() {
    // C order of a 2x3 array [[0, 1, 2], [3, 4, 5]] stored column by column.
    let fortran = [0, 3, 1, 4, 2, 5];
    assert_eq!(fortran_to_c(&fortran, &[2, 3]), [0, 1, 2, 3, 4, 5]);
    assert_eq!(fortran_to_c(&[7], &[1]), [7]);
    assert_eq!(format_shape(&[9]), "(9,)");
    assert_eq!(format_shape(&[2000, 1]), "(2000, 1)");
}

/// The shared MD17 ethanol file (2,000 frames, kcal/mol): reads fully and quickly.
#[test]
fn md17_ethanol_reads_fast() {
    let Some(path) = md17_ethanol() else { return };

    let start = std::time::Instant::now();
    let frames = read_npz(&path).unwrap();
    let elapsed = start.elapsed();
    println!("read {} frames in {elapsed:?}", frames.len());

    assert_eq!(frames.len(), 2000);
    for frame in &frames {
        assert_eq!(frame.structure.numbers, [6, 6, 8, 1, 1, 1, 1, 1, 1]);
        assert_eq!(frame.forces.as_ref().map(Vec::len), Some(9));
        // Total energies of ethanol in kcal/mol are about -97,200.
        let energy = frame.energy.unwrap();
        assert!((-97_400.0..-97_000.0).contains(&energy), "{energy}");
    }
    assert!((frames[0].energy.unwrap() - (-97208.40600498)).abs() < 1e-6);
    assert_eq!(frames[0].structure.positions[0], [0.0072, -0.5687, 0.0]);

    // A generous bound that still catches element-by-element decoding from the zip.
    assert!(elapsed.as_secs_f64() < 2.0, "reading took {elapsed:?}");
}
