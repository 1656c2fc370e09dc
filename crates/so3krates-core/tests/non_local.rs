//! The optional non-local SPHC-space attention (`../shared/docs/so3krates-nonlocal.md`), in f64:
//! the gate values the spec checked, the identity with the local model, symmetry, forces as
//! the exact negative gradient (also where gates close and pairs cross the cutoff), locality
//! broken only when switched on, no NaN in the hazard cases, batching, and the guards.

mod common;

use burn::backend::Autodiff;
use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use so3krates_core::backend::CpuF64Backend;
use so3krates_core::config::{NonLocalConfig, NonLocalMode, SphcDistance};
use so3krates_core::graph::Batch;
use so3krates_core::network::So3krates;
use so3krates_core::nonlocal::SphcGate;
use so3krates_core::spherical::spherical_harmonics;
use so3krates_core::tensors::{float_tensor, to_f64_vec};
use so3krates_core::training::{energies_and_forces, energy_force_loss, LossWeights};
use so3krates_core::{CoreError, ModelConfig, Structure};

/// Relative tolerance for identities that hold exactly in exact arithmetic.
const EXACT_IN_F64: f64 = 1e-9;

/// The spec's reference geometry: dimer A along x at the origin, dimer B at height
/// `separation_angstrom`, turned by θ about z. Bonds of 1 Å; closest A–B distance > 3 Å for
/// separations above 3.2 Å.
fn two_dimers(theta_degrees: f64, separation_angstrom: f64) -> Structure {
    let (s, c) = theta_degrees.to_radians().sin_cos();
    Structure::molecule(
        vec![6; 4],
        vec![
            [-0.5, 0.0, 0.0],
            [0.5, 0.0, 0.0],
            [-0.5 * c, -0.5 * s, separation_angstrom],
            [0.5 * c, 0.5 * s, separation_angstrom],
        ],
    )
}

fn non_local(mode: NonLocalMode, chi_cut: Option<f64>) -> NonLocalConfig {
    NonLocalConfig { mode, chi_cut, ..NonLocalConfig::default() }
}

/// The small test model with a 3 Å cutoff, v0.1's normalised χ⁰ and the given switch.
fn config(switch: NonLocalConfig) -> ModelConfig {
    ModelConfig { cutoff_angstrom: 3.0, sphc_init_normalised: true, non_local: switch, ..small_config() }
}

fn fixed(chi_cut: f64) -> ModelConfig {
    config(non_local(NonLocalMode::Fixed, Some(chi_cut)))
}

fn dynamic() -> ModelConfig {
    config(non_local(NonLocalMode::Dynamic, None))
}

/// φ_χ of every pair received by atom 0, as (neighbour, gate), for SPHCs `sphc` (N, m_tot).
fn gates_of_atom_zero(config: &ModelConfig, structure: &Structure, sphc: Vec<f64>) -> Vec<(usize, f64)> {
    let device = Default::default();
    let batch = Batch::from_structures(std::slice::from_ref(structure), config).unwrap();
    let graph = batch.to_tensors::<CpuF64Backend>(&device);
    let global_pairs = graph.global.as_ref().expect("a non-local model gets the all-pairs list");
    let width = sphc.len() / structure.len();
    let sphc = float_tensor(sphc, [structure.len(), width], &device);
    let difference = global_pairs.pairs.neighbour_minus_centre(sphc);

    let gate = SphcGate::from_config(&config.non_local).unwrap().forward(difference, global_pairs);
    let host = batch.all_pairs().unwrap();
    let centres = [host.centres.clone(), host.neighbours.clone()].concat();
    let neighbours = [host.neighbours.clone(), host.centres.clone()].concat();
    let mut row: Vec<(usize, f64)> = to_f64_vec(gate)
        .into_iter()
        .enumerate()
        .filter(|&(k, _)| centres[k] == 0)
        .map(|(k, value)| (neighbours[k] as usize, value))
        .collect();
    row.sort_by_key(|&(neighbour, _)| neighbour);
    row
}

/// v0.1's χ⁰ of the two-dimer geometry: each atom's only neighbour within 3 Å is its partner,
/// so χ⁰_i = Y(u_i→partner), degrees 1, 2, 3.
fn dimer_initial_sphc(structure: &Structure) -> Vec<f64> {
    let partner = [1, 0, 3, 2];
    (0..4)
        .flat_map(|i| {
            let (a, b) = (structure.positions[i], structure.positions[partner[i]]);
            let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
            let norm = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            let u = [d[0] / norm, d[1] / norm, d[2] / norm];
            [1, 2, 3].into_iter().flat_map(move |l| spherical_harmonics(l, u))
        })
        .collect()
}

fn assert_gates(actual: &[(usize, f64)], expected: [f64; 3], what: &str) {
    let values: Vec<f64> = actual.iter().map(|&(_, g)| g).collect();
    assert_eq!(actual.iter().map(|&(j, _)| j).collect::<Vec<_>>(), vec![1, 2, 3]);
    for (value, expected) in values.iter().zip(expected) {
        assert!((value - expected).abs() < 2e-6, "{what}: gates of A1 {values:?}, spec {expected:?}");
    }
}

#[test]
fn the_gate_reproduces_the_spec_vectors_for_two_far_dimers() {
    for separation in [8.0, 100.0] {
        let aligned = two_dimers(0.0, separation);
        let sphc = dimer_initial_sphc(&aligned);
        assert_gates(
            &gates_of_atom_zero(&dynamic(), &aligned, sphc.clone()),
            [0.0, 0.986595, 0.0],
            "θ = 0, dynamic",
        );
        assert_gates(
            &gates_of_atom_zero(&fixed(0.5), &aligned, sphc),
            [0.019350, 0.999709, 0.019350],
            "θ = 0, χ_cut = 0.5",
        );

        let turned = two_dimers(30.0, separation);
        let gates = gates_of_atom_zero(&dynamic(), &turned, dimer_initial_sphc(&turned));
        assert_gates(&gates, [0.0, 0.152028, 0.0], "θ = 30°, dynamic");

        for theta in [40.0, 60.0, 90.0] {
            let structure = two_dimers(theta, separation);
            let gates = gates_of_atom_zero(&dynamic(), &structure, dimer_initial_sphc(&structure));
            assert!(
                gates.iter().all(|&(_, g)| g == 0.0),
                "θ = {theta}°: the gate should be closed: {gates:?}"
            );
        }
    }
}

#[test]
fn with_zero_initial_sphcs_every_pair_gets_the_same_fixed_gate() {
    // χ⁰ = 0: D = 0, s = 1/(N − 1); χ_cut = 0.5 gives 0.8555 for N = 5 and 0.9978 for N = 10.
    for (n_atoms, expected) in [(5, 0.85546875), (10, 0.997788)] {
        let chain =
            Structure::molecule(vec![6; n_atoms], (0..n_atoms).map(|k| [2.0 * k as f64, 0.0, 0.0]).collect());
        let sphc = vec![0.0; n_atoms * 15];
        for (_, gate) in gates_of_atom_zero(&fixed(0.5), &chain, sphc) {
            assert!((gate - expected).abs() < 1e-5, "N = {n_atoms}: gate {gate}, spec {expected}");
        }
    }
}

#[test]
fn one_dynamic_layer_from_zero_sphcs_equals_the_local_model() {
    // Layer 1 sees χ = 0, so s = 1/(N − 1) and x = N/(N − 1) > 1: every gate is shut.
    let one_layer = |switch| ModelConfig { layers: 1, sphc_init_normalised: false, ..config(switch) };
    let local = f64_model(one_layer(NonLocalConfig::default()));
    let non_local = f64_model(one_layer(non_local(NonLocalMode::Dynamic, None)));
    // Ethanol spans more than 3 Å, so it has pairs beyond the cutoff; so do the dimers.
    let structures = vec![distorted_ethanol(3), two_dimers(20.0, 8.0)];

    let expected = local.energy_forces(&structures).unwrap();
    let actual = non_local.energy_forces(&structures).unwrap();
    for (a, e) in actual.iter().zip(&expected) {
        assert!(
            (a.energy - e.energy).abs() < 1e-12 * e.energy.abs().max(1.0),
            "{} vs {}",
            a.energy,
            e.energy
        );
        assert!(max_force_difference(&a.forces, &e.forces) < 1e-12 * force_scale(&e.forces).max(1.0));
    }
}

/// A cluster of two far fragments: distorted ethanol and a dimer 6 Å away.
fn ethanol_and_far_dimer() -> Structure {
    let mut structure = distorted_ethanol(5);
    let dimer = two_dimers(25.0, 7.0);
    structure.numbers.extend([6, 8]);
    structure.positions.extend(dimer.positions[2..].iter().map(|r| [r[0] + 0.3, r[1] - 0.2, r[2]]));
    structure
}

#[test]
fn energy_is_invariant_and_forces_equivariant_with_the_switch_on() {
    let mut rng = StdRng::seed_from_u64(31);
    for config in [fixed(0.5), dynamic()] {
        let model = f64_model(config);
        let structure = ethanol_and_far_dimer();
        let reference = &model.energy_forces(std::slice::from_ref(&structure)).unwrap()[0];
        let tolerance = |scale: f64| EXACT_IN_F64 * scale.max(1.0);

        // Rotation (proper, then improper) and translation.
        for improper in [false, true] {
            let q = random_rotation(&mut rng) * if improper { -1.0 } else { 1.0 };
            let t = [rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0)];
            let mut moved = structure.clone();
            for r in &mut moved.positions {
                let rotated = rotate(*r, &q);
                *r = [rotated[0] + t[0], rotated[1] + t[1], rotated[2] + t[2]];
            }
            let prediction = &model.energy_forces(&[moved]).unwrap()[0];
            assert!((prediction.energy - reference.energy).abs() < tolerance(reference.energy.abs()));
            let rotated_forces: Vec<[f64; 3]> = reference.forces.iter().map(|f| rotate(*f, &q)).collect();
            let error = max_force_difference(&prediction.forces, &rotated_forces);
            assert!(error < tolerance(force_scale(&reference.forces)), "forces not equivariant: {error}");
        }

        // Permutation: reversed atom order.
        let mut permuted = structure.clone();
        permuted.numbers.reverse();
        permuted.positions.reverse();
        let prediction = &model.energy_forces(&[permuted]).unwrap()[0];
        assert!((prediction.energy - reference.energy).abs() < tolerance(reference.energy.abs()));
        let mut forces = prediction.forces.clone();
        forces.reverse();
        assert!(max_force_difference(&forces, &reference.forces) < tolerance(force_scale(&reference.forces)));
    }
}

/// −∂E/∂R by central differences (h = 1e-5 Å) against autodiff, for every coordinate.
fn assert_forces_match_finite_differences(
    model: &so3krates_core::Model<CpuF64Backend>,
    structure: &Structure,
) {
    let analytic = &model.energy_forces(std::slice::from_ref(structure)).unwrap()[0].forces;
    let h = 1e-5;
    let energy = |moved: Structure| model.energy_forces(&[moved]).unwrap()[0].energy;
    for atom in 0..structure.len() {
        for axis in 0..3 {
            let (mut plus, mut minus) = (structure.clone(), structure.clone());
            plus.positions[atom][axis] += h;
            minus.positions[atom][axis] -= h;
            let numerical = -(energy(plus) - energy(minus)) / (2.0 * h);
            let a = analytic[atom][axis];
            assert!(
                (a - numerical).abs() < 1e-6 * force_scale(analytic).max(1e-2),
                "atom {atom} axis {axis}: autodiff {a}, finite difference {numerical}"
            );
        }
    }
}

#[test]
fn forces_equal_minus_the_finite_difference_gradient_with_the_switch_on() {
    for config in [
        fixed(0.5),
        dynamic(),
        ModelConfig {
            non_local: NonLocalConfig { sphc_distance: SphcDistance::Smooth, ..dynamic().non_local },
            ..dynamic()
        },
    ] {
        let model = f64_model(config);
        assert_forces_match_finite_differences(&model, &ethanol_and_far_dimer());
        // Through the θ range where the layer-1 dynamic gate closes (30°–40°).
        for theta in [31.0, 34.0, 37.0] {
            assert_forces_match_finite_differences(&model, &two_dimers(theta, 8.0));
        }
    }
}

#[test]
fn energy_is_continuous_where_gates_close_and_where_a_pair_crosses_the_cutoff() {
    let model = f64_model(dynamic());

    // θ through the closing of the layer-1 gate, in steps of 0.01°.
    let energies: Vec<f64> = (0..=1000)
        .map(|k| model.energy_forces(&[two_dimers(30.0 + 0.01 * k as f64, 8.0)]).unwrap()[0].energy)
        .collect();
    assert_smooth(&energies, "θ scan 30°–40°");

    // B's centre from 3.05 to 2.85 Å: the closest A–B distance, √(0.25 + R²), crosses r_cut = 3 Å
    // at R = 2.958 Å.
    let energies: Vec<f64> = (0..=1000)
        .map(|k| model.energy_forces(&[two_dimers(60.0, 3.05 - 2e-4 * k as f64)]).unwrap()[0].energy)
        .collect();
    assert_smooth(&energies, "separation scan across the cutoff");
    for separation in [2.96, 2.955] {
        assert_forces_match_finite_differences(&f64_model(fixed(0.5)), &two_dimers(60.0, separation));
    }
}

/// No step of a fine scan is a jump or a kink.
fn assert_smooth(energies: &[f64], what: &str) {
    let steps: Vec<f64> = energies.windows(2).map(|w| w[1] - w[0]).collect();
    // For a C¹ function on a fine grid, consecutive steps differ by O(h²); a jump or a kink
    // makes one step stand out from both of its neighbours.
    let typical = steps.iter().map(|s| s.abs()).fold(0.0, f64::max);
    for k in 1..steps.len() - 1 {
        let curvature = (steps[k + 1] - 2.0 * steps[k] + steps[k - 1]).abs();
        assert!(
            curvature < 0.05 * typical + 1e-12,
            "{what}: step {k} stands out ({:?})",
            &steps[k - 1..=k + 1]
        );
    }
}

#[test]
fn only_the_switch_lets_a_far_fragment_influence_the_energy() {
    let mut rng = StdRng::seed_from_u64(7);
    let q = random_rotation(&mut rng);
    let structure = two_dimers(25.0, 8.0);
    // B rotated rigidly about its own centre (0, 0, 8).
    let mut turned = structure.clone();
    for r in &mut turned.positions[2..] {
        let rotated = rotate([r[0], r[1], r[2] - 8.0], &q);
        *r = [rotated[0], rotated[1], rotated[2] + 8.0];
    }

    let local = f64_model(config(NonLocalConfig::default()));
    let (before, after) = (
        &local.energy_forces(std::slice::from_ref(&structure)).unwrap()[0],
        &local.energy_forces(std::slice::from_ref(&turned)).unwrap()[0],
    );
    assert!((before.energy - after.energy).abs() < 1e-10, "local model: B's orientation changed E");
    assert!(max_force_difference(&before.forces[..2], &after.forces[..2]) < 1e-10);

    let non_local = f64_model(fixed(0.5));
    let (before, after) =
        (&non_local.energy_forces(&[structure]).unwrap()[0], &non_local.energy_forces(&[turned]).unwrap()[0]);
    let change = (before.energy - after.energy).abs();
    assert!(change > 1e-4, "non-local model: rotating B changed E by only {change:e}");
    assert!(max_force_difference(&before.forces[..2], &after.forces[..2]) > 1e-6);
}

/// Every parameter gradient is finite.
struct FiniteGradients<'a, B: burn::tensor::backend::AutodiffBackend> {
    gradients: &'a B::Gradients,
    checked: usize,
    non_finite: Vec<String>,
}

impl<B: burn::tensor::backend::AutodiffBackend> ModuleVisitor<B> for FiniteGradients<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(gradient) = param.val().grad(self.gradients) {
            self.checked += 1;
            let values = gradient.into_data().to_vec::<f64>().unwrap_or_default();
            if values.iter().any(|v| !v.is_finite()) {
                self.non_finite.push(format!("{:?}", param.id));
            }
        }
    }
}

#[test]
fn no_nan_in_energy_forces_or_second_order_gradients_in_the_hazard_cases() {
    type Inner = Autodiff<CpuF64Backend>;
    let device = Default::default();
    let zero_init = |switch| ModelConfig { sphc_init_normalised: false, ..config(switch) };
    let mut rng = StdRng::seed_from_u64(2);
    let cluster = Structure::molecule(
        vec![6; 30],
        (0..30)
            .map(|_| [rng.random_range(0.0..9.0), rng.random_range(0.0..9.0), rng.random_range(0.0..9.0)])
            .collect(),
    );
    let cases = [
        ("χ⁰ = 0, fixed", zero_init(non_local(NonLocalMode::Fixed, Some(0.5))), two_dimers(0.0, 8.0)),
        ("χ⁰ = 0, dynamic", zero_init(non_local(NonLocalMode::Dynamic, None)), two_dimers(0.0, 8.0)),
        ("diatomic, fixed", fixed(0.5), Structure::molecule(vec![6, 6], vec![[0.0; 3], [1.1, 0.0, 0.0]])),
        (
            "far diatomic, fixed 2",
            fixed(2.0),
            Structure::molecule(vec![6, 6], vec![[0.0; 3], [9.0, 0.0, 0.0]]),
        ),
        ("identical environments", dynamic(), two_dimers(0.0, 8.0)),
        ("x ≫ 1: 30 atoms, dynamic", dynamic(), cluster),
    ];
    for (what, config, structure) in cases {
        let network = So3krates::<Inner>::new(&config, &device);
        let batch = Batch::from_structures(std::slice::from_ref(&structure), &config).unwrap();
        let (energies, forces) = energies_and_forces(&network, &batch, &device);
        let values = [to_f64_vec(energies.clone().inner()), to_f64_vec(forces.clone().inner())].concat();
        assert!(values.iter().all(|v| v.is_finite()), "{what}: non-finite energy or forces");

        let targets = (
            float_tensor(vec![1.0], [1], &device),
            float_tensor(vec![0.5; 3 * structure.len()], [structure.len(), 3], &device),
        );
        let loss = energy_force_loss(energies, forces, targets.0, targets.1, LossWeights::default());
        let gradients = loss.backward();
        let mut visitor = FiniteGradients::<Inner> { gradients: &gradients, checked: 0, non_finite: vec![] };
        network.visit(&mut visitor);
        assert!(visitor.checked > 10, "{what}: only {} parameters had gradients", visitor.checked);
        assert!(visitor.non_finite.is_empty(), "{what}: non-finite gradients of {:?}", visitor.non_finite);
    }
}

#[test]
fn a_batch_of_molecules_of_different_size_equals_separate_runs() {
    // A global N or a softmax leaking across structures would make these differ.
    for config in [fixed(0.5), dynamic()] {
        let model = f64_model(config);
        let structures = vec![ethanol_and_far_dimer(), two_dimers(30.0, 8.0), distorted_ethanol(8)];
        let batched = model.energy_forces(&structures).unwrap();
        for (structure, together) in structures.iter().zip(&batched) {
            let alone = &model.energy_forces(std::slice::from_ref(structure)).unwrap()[0];
            assert!((alone.energy - together.energy).abs() < EXACT_IN_F64 * alone.energy.abs().max(1.0));
            assert!(
                max_force_difference(&alone.forces, &together.forces)
                    < EXACT_IN_F64 * force_scale(&alone.forces).max(1.0)
            );
        }
    }
}

#[test]
fn periodic_and_oversized_structures_are_refused_with_the_switch_on() {
    let model = f64_model(dynamic());
    let crystal = Structure::periodic(
        vec![6, 6],
        vec![[0.0; 3], [1.0, 1.0, 1.0]],
        [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]],
        [true; 3],
    );
    let error = model.energy_forces(&[crystal]).unwrap_err().to_string();
    assert!(error.contains("periodic") && error.contains("non_local"), "{error}");

    let small_limit =
        ModelConfig { non_local: NonLocalConfig { max_atoms: 8, ..dynamic().non_local }, ..dynamic() };
    let error = f64_model(small_limit).energy_forces(&[two_dimers(0.0, 8.0), ethanol()]).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("structure 1") && message.contains("9 atoms") && message.contains("max_atoms"),
        "{message}"
    );

    // The local model keeps evaluating both.
    assert!(f64_model(config(NonLocalConfig::default())).energy_forces(&[ethanol()]).is_ok());
}

#[test]
fn invalid_non_local_settings_are_named() {
    let cases = [
        (non_local(NonLocalMode::Fixed, None), "needs chi_cut"),
        (non_local(NonLocalMode::Fixed, Some(0.0)), "chi_cut must be positive"),
        (non_local(NonLocalMode::Fixed, Some(f64::NAN)), "chi_cut must be positive"),
        (non_local(NonLocalMode::Dynamic, Some(0.5)), "only applies"),
        (NonLocalConfig { max_atoms: 1, ..non_local(NonLocalMode::Dynamic, None) }, "max_atoms"),
    ];
    for (switch, expected) in cases {
        let error = config(switch).validate().unwrap_err();
        assert!(
            matches!(error, CoreError::InvalidConfig(_)) && error.to_string().contains(expected),
            "{error}"
        );
    }
    let both = ModelConfig { sphc_init_scale: Some(2.0), ..dynamic() };
    assert!(both.validate().unwrap_err().to_string().contains("exclude"));
}

#[test]
fn a_non_local_model_file_keeps_its_switch() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("non-local.so3krates");
    let model = f64_model(fixed(0.5));
    model.save(&path).unwrap();
    let loaded = so3krates_core::Model::<CpuF64Backend>::load(&path, &Default::default()).unwrap();
    assert_eq!(loaded.metadata().config.non_local, fixed(0.5).non_local);
    let structure = two_dimers(10.0, 8.0);
    let (a, b) = (
        &model.energy_forces(std::slice::from_ref(&structure)).unwrap()[0],
        &loaded.energy_forces(&[structure]).unwrap()[0],
    );
    assert_eq!(a.energy, b.energy);
}
