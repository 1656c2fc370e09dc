//! The integrators and the relaxation checked on the analytic Lennard-Jones potential,
//! independently of the network: energy conservation in NVE, the canonical temperature
//! under Langevin dynamics, and the known minimum of the 13-atom cluster under FIRE.

mod common;

use common::{mean, run_nve, std_dev, NveRecord};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use so3krates_core::Structure;
use so3krates_md::{
    relax_fire, simulate, FireSettings, Langevin, LennardJones, MdError, MdState, Potential, VelocityVerlet,
};

/// A 3×3×3 simple-cubic block of argon atoms 3.9 Å apart, slightly jiggled.
fn argon_block(seed: u64) -> Structure {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut positions = Vec::new();
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..3 {
                positions.push([i, j, k].map(|n| 3.9 * n as f64 + rng.random_range(-0.05..0.05)));
            }
        }
    }
    Structure::molecule(vec![18; positions.len()], positions)
}

#[test]
fn velocity_verlet_conserves_the_total_energy_of_an_argon_cluster() {
    let lj = LennardJones::argon();
    let potential = Potential::new(&lj).unwrap();
    let mut state = MdState::at_rest(argon_block(1), &potential).unwrap();
    state.set_maxwell_boltzmann(40.0, &mut StdRng::seed_from_u64(2)).unwrap();
    let NveRecord { drift_ev_per_ps, fluctuation_ratio, kinetic_std_ev } =
        run_nve(&mut state, &potential, 0.5, 10_000, 10);

    println!("argon NVE, dt 0.5 fs, 5 ps: drift {drift_ev_per_ps:.3e} eV/ps, σ(E_tot)/σ(E_kin) {fluctuation_ratio:.3e}");
    assert!(kinetic_std_ev > 1e-3, "the cluster barely moved: σ(E_kin) = {kinetic_std_ev}");
    assert!(drift_ev_per_ps.abs() < 1e-7, "drift {drift_ev_per_ps} eV/ps");
    assert!(fluctuation_ratio < 1e-4, "σ(E_tot)/σ(E_kin) = {fluctuation_ratio}");
    let momentum = state.momentum();
    assert!(momentum.iter().all(|p| p.abs() < 1e-9), "momentum not conserved: {momentum:?}");
}

#[test]
fn velocity_verlet_error_shrinks_with_the_square_of_the_time_step() {
    // The energy fluctuation of a symplectic second-order integrator scales as dt².
    let lj = LennardJones::argon();
    let potential = Potential::new(&lj).unwrap();
    let fluctuation = |dt: f64| {
        let mut state = MdState::at_rest(argon_block(3), &potential).unwrap();
        state.set_maxwell_boltzmann(40.0, &mut StdRng::seed_from_u64(4)).unwrap();
        let mut integrator = VelocityVerlet::new(dt).unwrap();
        let mut totals = Vec::new();
        let steps = (2000.0 / dt) as u64;
        simulate(&mut state, &mut integrator, &potential, steps, 1, |s| -> Result<(), MdError> {
            totals.push(s.total_energy_ev());
            Ok(())
        })
        .unwrap();
        std_dev(&totals)
    };
    let ratio = fluctuation(8.0) / fluctuation(4.0);
    println!("σ(E_tot) at dt 8 fs / at dt 4 fs = {ratio:.3}");
    assert!((3.0..5.0).contains(&ratio), "ratio {ratio}, expected about 4");
}

#[test]
fn langevin_holds_an_argon_cluster_at_its_target_temperature() {
    let lj = LennardJones::argon();
    let potential = Potential::new(&lj).unwrap();
    let mut state = MdState::at_rest(argon_block(5), &potential).unwrap();
    let target_k = 30.0;
    let mut integrator = Langevin::new(2.0, target_k, 0.02, 6).unwrap();

    let mut temperatures = Vec::new();
    simulate(&mut state, &mut integrator, &potential, 20_000, 1, |s| -> Result<(), MdError> {
        temperatures.push(s.temperature_k());
        Ok(())
    })
    .unwrap();

    let second_half = &temperatures[temperatures.len() / 2..];
    let mean_k = mean(second_half);
    println!("argon Langevin at {target_k} K: mean temperature over the second half {mean_k:.2} K");
    assert!((mean_k - target_k).abs() < 0.03 * target_k, "mean temperature {mean_k} K");
    let momentum = state.momentum();
    assert!(momentum.iter().all(|p| p.abs() < 1e-9), "centre of mass drifts: {momentum:?}");
}

#[test]
fn maxwell_boltzmann_velocities_have_the_requested_temperature_and_no_drift() {
    let lj = LennardJones::argon();
    let potential = Potential::new(&lj).unwrap();
    let positions: Vec<[f64; 3]> = (0..2000).map(|i| [10.0 * i as f64, 0.0, 0.0]).collect();
    let mut state = MdState::at_rest(Structure::molecule(vec![18; 2000], positions), &potential).unwrap();
    state.set_maxwell_boltzmann(300.0, &mut StdRng::seed_from_u64(7)).unwrap();
    // With 5997 degrees of freedom the relative spread of the temperature is √(2/5997) ≈ 1.8 %.
    assert!((state.temperature_k() - 300.0).abs() < 15.0, "T = {}", state.temperature_k());
    assert!(state.momentum().iter().all(|p| p.abs() < 1e-9));
}

/// The 13-atom Lennard-Jones cluster, an icosahedron around a centre atom, perturbed.
fn perturbed_icosahedron(sigma: f64, seed: u64) -> Structure {
    let phi = (1.0 + 5f64.sqrt()) / 2.0;
    let mut positions = vec![[0.0; 3]];
    for a in [-1.0, 1.0] {
        for b in [-phi, phi] {
            positions.push([0.0, a, b]);
            positions.push([a, b, 0.0]);
            positions.push([b, 0.0, a]);
        }
    }
    // Edge length 2 in these coordinates; start with nearest neighbours about 1.15σ apart.
    let mut rng = StdRng::seed_from_u64(seed);
    let positions = positions
        .into_iter()
        .map(|r| r.map(|x| x * 0.575 * sigma + rng.random_range(-0.1..0.1) * sigma))
        .collect();
    Structure::molecule(vec![18; 13], positions)
}

#[test]
fn fire_finds_the_global_minimum_of_the_13_atom_lennard_jones_cluster() {
    // E_min = −44.326801 ε (Wales & Doye 1997). The cutoff of 10σ makes the shift of the
    // potential change this by less than 0.01 ε.
    let lj = LennardJones { epsilon_ev: 0.0104, sigma_angstrom: 3.4, cutoff_angstrom: 34.0 };
    let potential = Potential::new(&lj).unwrap();
    let settings = FireSettings { fmax_ev_per_angstrom: 1e-5, max_steps: 5000, ..FireSettings::default() };
    let relaxed = relax_fire(perturbed_icosahedron(3.4, 8), &potential, &settings, |_, _, _| Ok(())).unwrap();

    let energy_per_epsilon = relaxed.energy_ev / lj.epsilon_ev;
    println!("LJ13: {} FIRE steps, E = {energy_per_epsilon:.5} ε", relaxed.steps);
    assert!(relaxed.converged, "fmax {} after {} steps", relaxed.fmax_ev_per_angstrom, relaxed.steps);
    assert!(relaxed.energy_ev <= relaxed.initial_energy_ev);
    assert!((energy_per_epsilon + 44.326801).abs() < 0.01, "E = {energy_per_epsilon} ε");
}

#[test]
fn fire_puts_a_dimer_at_the_minimum_of_the_pair_potential() {
    let lj = LennardJones { epsilon_ev: 0.0104, sigma_angstrom: 3.4, cutoff_angstrom: 34.0 };
    let potential = Potential::new(&lj).unwrap();
    let dimer = Structure::molecule(vec![18, 18], vec![[0.0; 3], [3.2, 0.4, -0.3]]);
    let settings = FireSettings { fmax_ev_per_angstrom: 1e-7, ..FireSettings::default() };
    let relaxed = relax_fire(dimer, &potential, &settings, |_, _, _| Ok(())).unwrap();

    let [a, b] = [relaxed.structure.positions[0], relaxed.structure.positions[1]];
    let distance = ((0..3).map(|c| (b[c] - a[c]).powi(2)).sum::<f64>()).sqrt();
    let expected = 2f64.powf(1.0 / 6.0) * 3.4;
    assert!(relaxed.converged);
    assert!((distance - expected).abs() < 1e-4, "distance {distance} Å, expected {expected} Å");
}

#[test]
fn invalid_settings_are_refused_with_a_message() {
    assert!(VelocityVerlet::new(0.0).is_err());
    assert!(VelocityVerlet::new(f64::NAN).is_err());
    let error = Langevin::new(0.5, -1.0, 0.01, 0).unwrap_err().to_string();
    assert!(error.contains("temperature"), "{error}");
    assert!(Langevin::new(0.5, 300.0, -0.1, 0).is_err());
}
