//! Physical properties of the model, in f64 on the NdArray backend: symmetry, forces as
//! the exact negative gradient, batching, empty neighbourhoods, periodic images, stress and
//! smoothness at the cutoff.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use so3krates_core::{CoreError, ForcePredictor, ModelConfig, Structure};

/// Relative tolerance for identities that hold exactly in exact arithmetic (f64 rounding).
const EXACT_IN_F64: f64 = 1e-9;

#[test]
fn energy_invariant_and_forces_equivariant_under_rotation_and_translation() {
    let model = f64_model(ModelConfig::default());
    let mut rng = StdRng::seed_from_u64(10);
    let structure = distorted_ethanol(1);
    let reference = &model.energy_forces(std::slice::from_ref(&structure)).unwrap()[0];

    for _ in 0..3 {
        let q = random_rotation(&mut rng);
        let t = [rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0)];
        let mut moved = structure.clone();
        for r in &mut moved.positions {
            let rotated = rotate(*r, &q);
            *r = [rotated[0] + t[0], rotated[1] + t[1], rotated[2] + t[2]];
        }
        let prediction = &model.energy_forces(&[moved]).unwrap()[0];

        let energy_error = (prediction.energy - reference.energy).abs() / reference.energy.abs().max(1.0);
        assert!(energy_error < EXACT_IN_F64, "energy changed by {energy_error} (relative)");
        let rotated_forces: Vec<[f64; 3]> = reference.forces.iter().map(|f| rotate(*f, &q)).collect();
        let force_error =
            max_force_difference(&prediction.forces, &rotated_forces) / force_scale(&reference.forces);
        assert!(force_error < EXACT_IN_F64, "forces not equivariant: {force_error} (relative)");
    }
}

#[test]
fn energy_invariant_under_inversion() {
    let model = f64_model(small_config());
    let structure = distorted_ethanol(2);
    let mut inverted = structure.clone();
    for r in &mut inverted.positions {
        *r = r.map(|v| -v);
    }
    let e = model.energy_forces(&[structure, inverted]).unwrap();
    assert!((e[0].energy - e[1].energy).abs() < EXACT_IN_F64 * e[0].energy.abs().max(1.0));
}

#[test]
fn permuting_atoms_permutes_forces_and_keeps_the_energy() {
    let model = f64_model(ModelConfig::default());
    let structure = distorted_ethanol(3);
    let permutation = [4, 2, 7, 0, 8, 1, 3, 6, 5];
    let permuted = Structure::molecule(
        permutation.iter().map(|&i| structure.numbers[i]).collect(),
        permutation.iter().map(|&i| structure.positions[i]).collect(),
    );
    let p = model.energy_forces(&[structure, permuted]).unwrap();
    assert!((p[0].energy - p[1].energy).abs() < EXACT_IN_F64 * p[0].energy.abs().max(1.0));
    let expected: Vec<[f64; 3]> = permutation.iter().map(|&i| p[0].forces[i]).collect();
    assert!(max_force_difference(&p[1].forces, &expected) < EXACT_IN_F64 * force_scale(&expected));
}

#[test]
fn forces_of_a_molecule_sum_to_zero_with_zero_torque() {
    let model = f64_model(ModelConfig::default());
    let structure = distorted_ethanol(4);
    let p = &model.energy_forces(std::slice::from_ref(&structure)).unwrap()[0];
    let scale = force_scale(&p.forces);
    assert!(scale > 1e-6, "forces are trivially zero");
    for axis in 0..3 {
        let total: f64 = p.forces.iter().map(|f| f[axis]).sum();
        assert!(total.abs() < EXACT_IN_F64 * scale, "Σ F_{axis} = {total}");
    }
    let mut torque = [0.0; 3];
    for (r, f) in structure.positions.iter().zip(&p.forces) {
        torque[0] += r[1] * f[2] - r[2] * f[1];
        torque[1] += r[2] * f[0] - r[0] * f[2];
        torque[2] += r[0] * f[1] - r[1] * f[0];
    }
    assert!(torque.iter().all(|t| t.abs() < 1e-8 * scale), "torque {torque:?}");
}

/// F = −∂E/∂R against central differences with h = 1e-5 Å (truncation error ~h² ≈ 1e-10).
#[test]
fn forces_equal_minus_the_finite_difference_gradient() {
    let model = f64_model(ModelConfig::default());
    let structure = distorted_ethanol(5);
    let forces = model.energy_forces(std::slice::from_ref(&structure)).unwrap()[0].forces.clone();
    let h = 1e-5;
    let scale = force_scale(&forces);
    for atom in [0, 2, 5, 8] {
        #[allow(clippy::needless_range_loop)] // one displaced coordinate at a time
        for axis in 0..3 {
            let mut plus = structure.clone();
            let mut minus = structure.clone();
            plus.positions[atom][axis] += h;
            minus.positions[atom][axis] -= h;
            let e = model.energy_forces(&[plus, minus]).unwrap();
            let numerical = -(e[0].energy - e[1].energy) / (2.0 * h);
            let error = (numerical - forces[atom][axis]).abs() / scale;
            assert!(error < 1e-7, "atom {atom} axis {axis}: {} vs {numerical}", forces[atom][axis]);
        }
    }
}

#[test]
fn a_batch_gives_the_same_results_as_single_structures() {
    let model = f64_model(small_config());
    let water =
        Structure::molecule(vec![8, 1, 1], vec![[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]);
    let crystal = Structure::periodic(
        vec![14, 14],
        vec![[0.0, 0.0, 0.0], [1.36, 1.36, 1.36]],
        [[0.0, 2.72, 2.72], [2.72, 0.0, 2.72], [2.72, 2.72, 0.0]],
        [true; 3],
    );
    let structures = vec![distorted_ethanol(6), water, crystal, distorted_ethanol(7)];
    let batched = model.predict(&structures, true).unwrap();
    for (structure, together) in structures.iter().zip(&batched) {
        let alone = &model.predict(std::slice::from_ref(structure), true).unwrap()[0];
        assert!((alone.energy - together.energy).abs() < EXACT_IN_F64 * alone.energy.abs().max(1.0));
        assert!(max_force_difference(&alone.forces, &together.forces) < 1e-12);
        assert_eq!(alone.stress.is_some(), together.stress.is_some());
    }
}

#[test]
fn isolated_atoms_and_structures_without_pairs_have_finite_energy_and_zero_forces() {
    let model = f64_model(small_config());
    let atom = Structure::molecule(vec![8], vec![[1.0, 2.0, 3.0]]);
    let far_apart = Structure::molecule(vec![1, 6], vec![[0.0, 0.0, 0.0], [0.0, 0.0, 20.0]]);
    let alone = model.energy_forces(std::slice::from_ref(&atom)).unwrap();
    let mixed = model.energy_forces(&[atom, far_apart, distorted_ethanol(8)]).unwrap();
    for p in alone.iter().chain(&mixed[..2]) {
        assert!(p.energy.is_finite());
        assert!(p.forces.iter().flatten().all(|&f| f == 0.0), "{:?}", p.forces);
    }
    assert!((alone[0].energy - mixed[0].energy).abs() < 1e-12);
    // Without pairs the energy depends only on the elements: E(H···C) = E(H) + E(C).
    let h = model.energy_forces(&[Structure::molecule(vec![1], vec![[0.0; 3]])]).unwrap()[0].energy;
    let c = model.energy_forces(&[Structure::molecule(vec![6], vec![[0.0; 3]])]).unwrap()[0].energy;
    assert!((mixed[1].energy - (h + c)).abs() < 1e-12);
}

#[test]
fn coincident_atoms_are_an_error_naming_both() {
    let model = f64_model(small_config());
    let mut structure = ethanol();
    structure.positions[7] = structure.positions[2];
    let error = model.energy_forces(&[ethanol(), structure]).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("structure 1") && message.contains('2') && message.contains('7'), "{message}");
    assert!(matches!(error, CoreError::InBatch { index: 1, .. }));
}

fn simple_cubic(side: f64, repeats: usize) -> Structure {
    let mut positions = Vec::new();
    for a in 0..repeats {
        for b in 0..repeats {
            for c in 0..repeats {
                positions.push([a as f64 * side, b as f64 * side, c as f64 * side]);
            }
        }
    }
    let length = side * repeats as f64;
    Structure::periodic(
        vec![29; positions.len()],
        positions,
        [[length, 0.0, 0.0], [0.0, length, 0.0], [0.0, 0.0, length]],
        [true; 3],
    )
}

/// A 1-atom cell of side 3 Å (narrower than 2·r_cut = 10 Å, so many images of the atom
/// itself are neighbours) must give the same energy per atom as its 4×4×4 supercell.
#[test]
fn small_periodic_cell_equals_its_supercell_per_atom() {
    let model = f64_model(small_config());
    let p = model.predict(&[simple_cubic(3.0, 1), simple_cubic(3.0, 4)], true).unwrap();
    let per_atom = [p[0].energy, p[1].energy / 64.0];
    assert!((per_atom[0] - per_atom[1]).abs() < EXACT_IN_F64 * per_atom[0].abs().max(1.0), "{per_atom:?}");
    let stress = [p[0].stress.unwrap(), p[1].stress.unwrap()];
    for a in 0..3 {
        for b in 0..3 {
            assert!((stress[0][a][b] - stress[1][a][b]).abs() < 1e-9 * stress[0][0][0].abs().max(1e-3));
        }
    }
}

/// σ = (1/V) ∂E/∂ε against central differences of the energy under a symmetric strain
/// applied to positions and cell.
#[test]
fn stress_equals_the_finite_difference_strain_derivative() {
    let model = f64_model(small_config());
    let mut rng = StdRng::seed_from_u64(11);
    let cell = [[4.1, 0.2, -0.1], [0.6, 3.9, 0.3], [-0.4, 0.5, 4.4]];
    let positions: Vec<[f64; 3]> = (0..5)
        .map(|_| [rng.random_range(0.0..4.0), rng.random_range(0.0..4.0), rng.random_range(0.0..4.0)])
        .collect();
    let crystal = Structure::periodic(vec![6, 8, 1, 1, 6], positions, cell, [true; 3]);
    let stress = model.predict(std::slice::from_ref(&crystal), true).unwrap()[0].stress.unwrap();
    let volume = crystal.volume().unwrap();

    let strained = |a: usize, b: usize, epsilon: f64| {
        let deform = |v: [f64; 3]| {
            let mut out = v;
            out[a] += 0.5 * epsilon * v[b];
            out[b] += 0.5 * epsilon * v[a];
            out
        };
        let mut s = crystal.clone();
        s.positions = s.positions.iter().map(|&r| deform(r)).collect();
        s.cell = s.cell.map(|c| c.map(deform));
        s
    };
    let h = 1e-5;
    for (a, b) in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)] {
        let e = model.energy_forces(&[strained(a, b, h), strained(a, b, -h)]).unwrap();
        let numerical = (e[0].energy - e[1].energy) / (2.0 * h) / volume;
        let analytic = if a == b { stress[a][b] } else { 0.5 * (stress[a][b] + stress[b][a]) };
        assert!(
            (numerical - analytic).abs() < 1e-7 * stress[0][0].abs().max(1e-2),
            "σ_{a}{b}: {analytic} vs {numerical}"
        );
    }
}

/// A dimer whose distance crosses r_cut: energy and forces change by no more than the
/// cutoff's (zero) value and slope allow.
#[test]
fn energy_and_forces_are_continuous_across_the_cutoff() {
    let model = f64_model(small_config());
    let cutoff = model.cutoff_angstrom();
    let dimer = |d: f64| Structure::molecule(vec![6, 8], vec![[0.0; 3], [d, 0.0, 0.0]]);
    let p = model.energy_forces(&[dimer(cutoff - 1e-6), dimer(cutoff + 1e-6), dimer(cutoff - 0.5)]).unwrap();
    assert!((p[0].energy - p[1].energy).abs() < 1e-9);
    assert!(max_force_difference(&p[0].forces, &p[1].forces) < 1e-9);
    assert!(force_scale(&p[2].forces) > 1e-6, "the dimer does not interact inside the cutoff");
}

#[test]
fn bad_structures_are_errors_not_panics() {
    let model = f64_model(small_config());
    let cases = [
        Structure::molecule(vec![6, 1], vec![[0.0; 3]]),
        Structure::molecule(vec![0], vec![[0.0; 3]]),
        Structure::molecule(vec![120], vec![[0.0; 3]]),
        Structure::molecule(vec![6], vec![[f64::NAN, 0.0, 0.0]]),
        Structure::periodic(
            vec![6],
            vec![[0.0; 3]],
            [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
            [true; 3],
        ),
    ];
    for structure in cases {
        assert!(model.energy_forces(&[structure]).is_err());
    }
}
