//! The dynamical state: positions, velocities, masses, and the forces at the positions.

use rand::Rng;
use rand_distr::StandardNormal;
use so3krates_core::Structure;

use crate::error::MdError;
use crate::masses::masses_amu;
use crate::potential::Potential;
use crate::units::{ACCELERATION_ANGSTROM_PER_FS2, BOLTZMANN_EV_PER_K};

/// Positions (in `structure`), velocities and the forces that act on them.
#[derive(Clone, Debug)]
pub struct MdState {
    /// Atomic numbers, positions in Å, cell and pbc.
    pub structure: Structure,
    /// Masses, amu, shape (n_atoms,).
    pub masses_amu: Vec<f64>,
    /// Velocities, Å/fs, shape (n_atoms, 3).
    pub velocities: Vec<[f64; 3]>,
    /// Forces at the current positions, eV/Å, shape (n_atoms, 3).
    pub forces: Vec<[f64; 3]>,
    /// Potential energy at the current positions, eV.
    pub potential_energy_ev: f64,
    /// Steps taken.
    pub step: u64,
    /// Simulated time, fs.
    pub time_fs: f64,
}

impl MdState {
    /// Atoms at rest in `structure`, with their forces evaluated.
    pub fn at_rest(structure: Structure, potential: &Potential) -> Result<Self, MdError> {
        let masses_amu = masses_amu(&structure.numbers)?;
        let evaluation = potential.evaluate(&structure, false)?;
        Ok(Self {
            velocities: vec![[0.0; 3]; structure.len()],
            forces: evaluation.forces_ev_per_angstrom,
            potential_energy_ev: evaluation.energy_ev,
            masses_amu,
            structure,
            step: 0,
            time_fs: 0.0,
        })
    }

    /// Number of atoms.
    pub fn n_atoms(&self) -> usize {
        self.structure.len()
    }

    /// Degrees of freedom of the temperature: 3N − 3, since centre-of-mass motion is removed
    /// (at least 1, so that a single atom has a defined temperature of 0 K).
    pub fn degrees_of_freedom(&self) -> usize {
        (3 * self.n_atoms()).saturating_sub(3).max(1)
    }

    /// Kinetic energy ½ Σ m v², eV.
    pub fn kinetic_energy_ev(&self) -> f64 {
        let twice: f64 = self
            .masses_amu
            .iter()
            .zip(&self.velocities)
            .map(|(m, v)| m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
            .sum();
        0.5 * twice / ACCELERATION_ANGSTROM_PER_FS2
    }

    /// Instantaneous temperature 2 E_kin / (n_dof k_B), K.
    pub fn temperature_k(&self) -> f64 {
        2.0 * self.kinetic_energy_ev() / (self.degrees_of_freedom() as f64 * BOLTZMANN_EV_PER_K)
    }

    /// Potential plus kinetic energy, eV.
    pub fn total_energy_ev(&self) -> f64 {
        self.potential_energy_ev + self.kinetic_energy_ev()
    }

    /// Draws velocities from the Maxwell–Boltzmann distribution at `temperature_k` and removes
    /// the centre-of-mass motion.
    pub fn set_maxwell_boltzmann(&mut self, temperature_k: f64, rng: &mut impl Rng) -> Result<(), MdError> {
        if !(temperature_k.is_finite() && temperature_k >= 0.0) {
            return Err(MdError::InvalidSetting(format!("temperature must be ≥ 0 K, got {temperature_k}")));
        }
        let kt_ev = BOLTZMANN_EV_PER_K * temperature_k;
        for (v, &m) in self.velocities.iter_mut().zip(&self.masses_amu) {
            let sigma = (kt_ev * ACCELERATION_ANGSTROM_PER_FS2 / m).sqrt();
            *v = [0; 3].map(|_| sigma * rng.sample::<f64, _>(StandardNormal));
        }
        self.remove_centre_of_mass_motion();
        Ok(())
    }

    /// Subtracts the centre-of-mass velocity from every atom (total momentum becomes zero).
    pub fn remove_centre_of_mass_motion(&mut self) {
        let total_mass: f64 = self.masses_amu.iter().sum();
        if total_mass <= 0.0 {
            return;
        }
        let mut momentum = [0.0; 3];
        for (v, m) in self.velocities.iter().zip(&self.masses_amu) {
            for c in 0..3 {
                momentum[c] += m * v[c];
            }
        }
        for v in &mut self.velocities {
            for c in 0..3 {
                v[c] -= momentum[c] / total_mass;
            }
        }
    }

    /// Total momentum, amu·Å/fs.
    pub fn momentum(&self) -> [f64; 3] {
        let mut p = [0.0; 3];
        for (v, m) in self.velocities.iter().zip(&self.masses_amu) {
            for c in 0..3 {
                p[c] += m * v[c];
            }
        }
        p
    }

    /// Kicks the velocities by the current forces for `dt_fs`: v += dt·F/m.
    pub(crate) fn kick(&mut self, dt_fs: f64) {
        for ((v, f), m) in self.velocities.iter_mut().zip(&self.forces).zip(&self.masses_amu) {
            let scale = dt_fs * ACCELERATION_ANGSTROM_PER_FS2 / m;
            for c in 0..3 {
                v[c] += scale * f[c];
            }
        }
    }

    /// Moves the atoms with their velocities for `dt_fs`: x += dt·v.
    pub(crate) fn drift(&mut self, dt_fs: f64) {
        for (x, v) in self.structure.positions.iter_mut().zip(&self.velocities) {
            for c in 0..3 {
                x[c] += dt_fs * v[c];
            }
        }
    }

    /// Evaluates forces and energy at the current positions; refuses non-finite positions.
    pub(crate) fn update_forces(&mut self, potential: &Potential) -> Result<(), MdError> {
        if self.structure.positions.iter().flatten().any(|x| !x.is_finite()) {
            return Err(MdError::Unstable {
                step: self.step,
                message: "positions became non-finite; the time step is too large for these forces"
                    .to_string(),
            });
        }
        let evaluation = potential.evaluate(&self.structure, false).map_err(|error| match error {
            MdError::Model(source) => MdError::Unstable {
                step: self.step,
                message: format!("the force evaluation failed: {source}"),
            },
            other => other,
        })?;
        self.forces = evaluation.forces_ev_per_angstrom;
        self.potential_energy_ev = evaluation.energy_ev;
        Ok(())
    }
}
