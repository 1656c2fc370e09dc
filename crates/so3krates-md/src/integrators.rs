//! Time integrators: velocity Verlet (NVE) and Langevin dynamics by BAOAB splitting (NVT).
//!
//! Both take one force evaluation per step and leave the state with the forces at its new
//! positions.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::error::MdError;
use crate::potential::Potential;
use crate::state::MdState;
use crate::units::{ACCELERATION_ANGSTROM_PER_FS2, BOLTZMANN_EV_PER_K};

/// Advances a state by one time step.
pub trait Integrator {
    /// One step: positions, velocities, forces, step count and time move on together.
    fn step(&mut self, state: &mut MdState, potential: &Potential) -> Result<(), MdError>;

    /// The time step, fs.
    fn timestep_fs(&self) -> f64;
}

fn check_timestep(timestep_fs: f64) -> Result<(), MdError> {
    if timestep_fs.is_finite() && timestep_fs > 0.0 {
        Ok(())
    } else {
        Err(MdError::InvalidSetting(format!("time step must be > 0 fs, got {timestep_fs}")))
    }
}

/// Velocity Verlet: microcanonical (NVE) dynamics, time-reversible and symplectic.
#[derive(Clone, Debug)]
pub struct VelocityVerlet {
    timestep_fs: f64,
}

impl VelocityVerlet {
    pub fn new(timestep_fs: f64) -> Result<Self, MdError> {
        check_timestep(timestep_fs)?;
        Ok(Self { timestep_fs })
    }
}

impl Integrator for VelocityVerlet {
    fn step(&mut self, state: &mut MdState, potential: &Potential) -> Result<(), MdError> {
        let dt = self.timestep_fs;
        state.kick(0.5 * dt);
        state.drift(dt);
        state.update_forces(potential)?;
        state.kick(0.5 * dt);

        state.step += 1;
        state.time_fs += dt;
        Ok(())
    }

    fn timestep_fs(&self) -> f64 {
        self.timestep_fs
    }
}

/// Langevin dynamics (NVT) with the BAOAB splitting of Leimkuhler & Matthews: half kick (B),
/// half drift (A), the exact Ornstein–Uhlenbeck step of the friction and noise (O), half
/// drift, forces, half kick. The centre-of-mass motion the noise brings in is removed after
/// each O step, as ASE's `Langevin(fixcm=True)` does, so temperatures count 3N − 3 degrees of
/// freedom.
#[derive(Clone, Debug)]
pub struct Langevin {
    timestep_fs: f64,
    temperature_k: f64,
    friction_per_fs: f64,
    rng: StdRng,
}

impl Langevin {
    /// `friction_per_fs` is γ, the inverse relaxation time of the velocities (1/fs); 0.01
    /// (100 fs) is a common choice for molecules.
    pub fn new(
        timestep_fs: f64,
        temperature_k: f64,
        friction_per_fs: f64,
        seed: u64,
    ) -> Result<Self, MdError> {
        check_timestep(timestep_fs)?;
        if !(temperature_k.is_finite() && temperature_k >= 0.0) {
            return Err(MdError::InvalidSetting(format!("temperature must be ≥ 0 K, got {temperature_k}")));
        }
        if !(friction_per_fs.is_finite() && friction_per_fs >= 0.0) {
            return Err(MdError::InvalidSetting(format!("friction must be ≥ 0 1/fs, got {friction_per_fs}")));
        }
        Ok(Self { timestep_fs, temperature_k, friction_per_fs, rng: StdRng::seed_from_u64(seed) })
    }

    /// The O step: v ← c₁v + √((1 − c₁²) kT/m) ξ with c₁ = exp(−γ dt).
    fn thermostat(&mut self, state: &mut MdState) {
        let c1 = (-self.friction_per_fs * self.timestep_fs).exp();
        let kt_ev = BOLTZMANN_EV_PER_K * self.temperature_k;
        for (v, &m) in state.velocities.iter_mut().zip(&state.masses_amu) {
            let noise = ((1.0 - c1 * c1) * kt_ev * ACCELERATION_ANGSTROM_PER_FS2 / m).sqrt();
            for component in v.iter_mut() {
                *component = c1 * *component + noise * self.rng.sample::<f64, _>(StandardNormal);
            }
        }
        state.remove_centre_of_mass_motion();
    }
}

impl Integrator for Langevin {
    fn step(&mut self, state: &mut MdState, potential: &Potential) -> Result<(), MdError> {
        let dt = self.timestep_fs;
        state.kick(0.5 * dt);
        state.drift(0.5 * dt);
        self.thermostat(state);
        state.drift(0.5 * dt);
        state.update_forces(potential)?;
        state.kick(0.5 * dt);

        state.step += 1;
        state.time_fs += dt;
        Ok(())
    }

    fn timestep_fs(&self) -> f64 {
        self.timestep_fs
    }
}

/// Runs `steps` steps of `integrator`, calling `observe` with the state before the first
/// step and after every `interval`-th step (and after the last). The first error of the
/// integrator or of `observe` stops the run.
pub fn simulate<E>(
    state: &mut MdState,
    integrator: &mut dyn Integrator,
    potential: &Potential,
    steps: u64,
    interval: u64,
    mut observe: impl FnMut(&MdState) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<MdError>,
{
    let interval = interval.max(1);
    let last = state.step + steps;
    observe(state)?;
    while state.step < last {
        integrator.step(state, potential)?;
        if state.step.is_multiple_of(interval) || state.step == last {
            observe(state)?;
        }
    }
    Ok(())
}
