//! Dynamics and relaxation with a trained So3krates model on ethanol, in f64 (NdArray):
//! energy conservation in NVE, the target temperature under Langevin dynamics, and a
//! relaxation that reaches the force threshold without raising the energy. The same weights
//! with non-local attention switched on conserve energy too, with pairs beyond the cutoff.
//!
//! The model, `tests/data/ethanol_demo.so3krates`, is the one the README's first command
//! trains (`configs/demo.toml`: 4 minutes on the shipped GFN2-xTB ethanol data, eV and Å);
//! see `tests/data/README.md`.

mod common;

use std::path::{Path, PathBuf};

use common::{mean, run_nve, NveRecord};
use rand::rngs::StdRng;
use rand::SeedableRng;
use so3krates_core::backend::CpuF64Backend;
use so3krates_core::config::{NonLocalConfig, NonLocalMode};
use so3krates_core::io::{read_extxyz, ExtxyzKeys};
use so3krates_core::{model_file, Model, Structure};
use so3krates_md::{relax_fire, simulate, FireSettings, Langevin, MdError, MdState, Potential};

fn fixture_model() -> Model<CpuF64Backend> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/ethanol_demo.so3krates");
    Model::load(&path, &Default::default()).expect("the fixture model loads")
}

/// The first frame of the shipped GFN2-xTB ethanol trajectory.
fn ethanol() -> Structure {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ethanol_gfn2_500K.xyz");
    let frames = read_extxyz(&path, &ExtxyzKeys::default()).expect("the shipped data reads");
    frames[0].structure.clone()
}

#[test]
fn nve_with_the_trained_model_conserves_the_total_energy() {
    let model = fixture_model();
    let potential = Potential::new(&model).unwrap();
    let mut state = MdState::at_rest(ethanol(), &potential).unwrap();
    state.set_maxwell_boltzmann(300.0, &mut StdRng::seed_from_u64(11)).unwrap();
    let NveRecord { drift_ev_per_ps: drift, fluctuation_ratio: ratio, kinetic_std_ev } =
        run_nve(&mut state, &potential, 0.5, 10_000, 10);

    println!(
        "ethanol NVE, So3krates f64, dt 0.5 fs, 5 ps: drift {drift:.3e} eV/ps, σ(E_tot)/σ(E_kin) {ratio:.3e}"
    );
    assert!(kinetic_std_ev > 0.01, "the molecule barely moved");
    assert!(drift.abs() < 1e-4, "drift {drift} eV/ps");
    // Velocity Verlet conserves a shadow Hamiltonian: E_tot oscillates with an amplitude of
    // order (ω·dt)² relative to E_kin, ω the fastest vibration. For C–H stretches (period
    // ≈ 11 fs) at 0.5 fs that is a few per cent (measured: 2.1 %); the dt² law itself is
    // checked with Lennard-Jones in tests/lennard_jones.rs. A wrong force would show as drift.
    assert!(ratio < 0.05, "σ(E_tot)/σ(E_kin) = {ratio}");
}

#[test]
fn langevin_with_the_trained_model_holds_300_kelvin() {
    let model = fixture_model();
    let potential = Potential::new(&model).unwrap();
    let mut state = MdState::at_rest(ethanol(), &potential).unwrap();
    state.set_maxwell_boltzmann(300.0, &mut StdRng::seed_from_u64(12)).unwrap();
    let mut integrator = Langevin::new(0.5, 300.0, 0.05, 13).unwrap();

    let mut temperatures = Vec::new();
    simulate(&mut state, &mut integrator, &potential, 10_000, 1, |s| -> Result<(), MdError> {
        temperatures.push(s.temperature_k());
        Ok(())
    })
    .unwrap();

    let second_half = mean(&temperatures[temperatures.len() / 2..]);
    println!("ethanol Langevin at 300 K, γ 0.05/fs, 5 ps: mean temperature over the second half {second_half:.1} K");
    assert!((second_half - 300.0).abs() < 15.0, "mean temperature {second_half} K, not within 5 % of 300 K");
}

#[test]
fn relaxation_with_the_trained_model_reaches_the_force_threshold() {
    let model = fixture_model();
    let potential = Potential::new(&model).unwrap();
    let settings = FireSettings { fmax_ev_per_angstrom: 0.01, ..FireSettings::default() };
    let relaxed = relax_fire(ethanol(), &potential, &settings, |_, _, _| Ok(())).unwrap();

    println!(
        "ethanol FIRE: {} steps, E {:.5} → {:.5} eV, max force {:.2e} eV/Å",
        relaxed.steps, relaxed.initial_energy_ev, relaxed.energy_ev, relaxed.fmax_ev_per_angstrom
    );
    assert!(
        relaxed.converged,
        "max force {} eV/Å after {} steps",
        relaxed.fmax_ev_per_angstrom, relaxed.steps
    );
    assert!(relaxed.energy_ev < relaxed.initial_energy_ev);
    let check = potential.evaluate(&relaxed.structure, false).unwrap();
    assert_eq!(check.energy_ev, relaxed.energy_ev, "the reported energy is that of the returned structure");
}

/// The fixture's weights in a model with non-local attention (dynamic 1/N rule), passed
/// through the model-file format as a saved non-local model would be.
fn non_local_fixture_model() -> Model<CpuF64Backend> {
    let device = Default::default();
    let fixture = fixture_model();
    let mut metadata = fixture.metadata().clone();
    metadata.config.non_local = NonLocalConfig { mode: NonLocalMode::Dynamic, ..NonLocalConfig::default() };
    let bytes = model_file::to_bytes(&fixture.network(), &metadata).expect("the model serialises");
    let (network, metadata) = model_file::from_bytes(&bytes, &device).expect("the model reads back");
    Model::from_network(network, metadata, &device)
}

/// Two ethanol molecules 12 Å apart along x: no pair between them is within the 5 Å cutoff.
fn two_far_ethanols() -> Structure {
    let one = ethanol();
    let other = one.positions.iter().map(|p| [p[0] + 12.0, p[1], p[2]]);
    Structure::molecule(
        [one.numbers.clone(), one.numbers.clone()].concat(),
        one.positions.iter().copied().chain(other).collect(),
    )
}

#[test]
fn nve_with_non_local_attention_conserves_the_total_energy_across_far_pairs() {
    let local = fixture_model();
    let model = non_local_fixture_model();
    let dimer = two_far_ethanols();

    // Locally the two molecules do not interact; the non-local gates couple them.
    let separate = 2.0 * local.energy_forces(&[ethanol()]).unwrap()[0].energy;
    let local_pair = local.energy_forces(std::slice::from_ref(&dimer)).unwrap()[0].energy;
    let non_local_pair = model.energy_forces(std::slice::from_ref(&dimer)).unwrap()[0].energy;
    println!(
        "two ethanols 12 Å apart: local E − 2 E_ethanol {:.2e} eV, non-local {:.4} eV",
        local_pair - separate,
        non_local_pair - separate
    );
    assert!((local_pair - separate).abs() < 1e-9 * separate.abs(), "the local model couples far molecules");
    assert!((non_local_pair - separate).abs() > 1e-4, "the non-local switch changed nothing");

    let potential = Potential::new(&model).unwrap();
    let mut state = MdState::at_rest(dimer, &potential).unwrap();
    state.set_maxwell_boltzmann(300.0, &mut StdRng::seed_from_u64(21)).unwrap();
    let NveRecord { drift_ev_per_ps: drift, fluctuation_ratio: ratio, kinetic_std_ev } =
        run_nve(&mut state, &potential, 0.5, 2_000, 5);

    println!("non-local NVE, two ethanols, dt 0.5 fs, 1 ps: drift {drift:.3e} eV/ps, σ(E_tot)/σ(E_kin) {ratio:.3e}");
    assert!(kinetic_std_ev > 0.01, "the molecules barely moved");
    // Half the length of the local run above, so a looser drift bound; the ratio as there.
    assert!(drift.abs() < 1e-3, "drift {drift} eV/ps");
    assert!(ratio < 0.05, "σ(E_tot)/σ(E_kin) = {ratio}");
}

#[test]
fn a_non_local_model_refuses_periodic_dynamics_by_name() {
    let model = non_local_fixture_model();
    let potential = Potential::new(&model).unwrap();
    let molecule = ethanol();
    let periodic = Structure::periodic(
        molecule.numbers,
        molecule.positions,
        [[12.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 12.0]],
        [true, true, true],
    );

    let error = MdState::at_rest(periodic, &potential).expect_err("a periodic start is refused").to_string();
    assert!(error.contains("non-local") && error.contains("periodic"), "{error}");
}
