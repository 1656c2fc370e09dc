//! Geometry relaxation by FIRE (Bitzek et al., PRL 97, 170201, 2006), with the parameters and
//! step rules of ASE's `FIRE` optimiser, so that the two take the same path. Positions only:
//! the cell stays fixed.

use so3krates_core::Structure;

use crate::error::MdError;
use crate::potential::Potential;

/// Settings of the FIRE optimiser (ASE's defaults). Times are in ASE's unit Å·√(amu/eV) with
/// unit masses, as in ASE.
#[derive(Clone, Debug, PartialEq)]
pub struct FireSettings {
    /// Converged when every atom's force is below this, eV/Å.
    pub fmax_ev_per_angstrom: f64,
    /// Give up after this many steps (not an error: the result says it did not converge).
    pub max_steps: usize,
    /// Largest displacement of the whole system in one step, Å.
    pub max_step_angstrom: f64,
    pub dt: f64,
    pub dt_max: f64,
    /// Steps with downhill motion before the time step may grow.
    pub n_min: usize,
    pub f_inc: f64,
    pub f_dec: f64,
    pub alpha_start: f64,
    pub f_alpha: f64,
}

impl Default for FireSettings {
    fn default() -> Self {
        Self {
            fmax_ev_per_angstrom: 0.05,
            max_steps: 1000,
            max_step_angstrom: 0.2,
            dt: 0.1,
            dt_max: 1.0,
            n_min: 5,
            f_inc: 1.1,
            f_dec: 0.5,
            alpha_start: 0.1,
            f_alpha: 0.99,
        }
    }
}

/// A geometry after relaxation.
#[derive(Clone, Debug)]
pub struct Relaxation {
    /// The final structure.
    pub structure: Structure,
    /// Energy of the starting structure, eV.
    pub initial_energy_ev: f64,
    /// Energy of the final structure, eV.
    pub energy_ev: f64,
    /// Forces on the final structure, eV/Å.
    pub forces_ev_per_angstrom: Vec<[f64; 3]>,
    /// Largest atomic force norm of the final structure, eV/Å.
    pub fmax_ev_per_angstrom: f64,
    /// Force evaluations taken after the first.
    pub steps: usize,
    /// True when `fmax_ev_per_angstrom` fell below the threshold.
    pub converged: bool,
}

/// Largest norm of an atomic force, eV/Å.
pub fn max_force_norm(forces: &[[f64; 3]]) -> f64 {
    forces.iter().map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt()).fold(0.0, f64::max)
}

/// Relaxes the positions of `structure` until every force is below the threshold or the
/// step limit is reached. `observe` sees the structure, its energy (eV) and forces after every
/// evaluation (e.g. to write a trajectory).
pub fn relax_fire(
    structure: Structure,
    potential: &Potential,
    settings: &FireSettings,
    mut observe: impl FnMut(&Structure, f64, &[[f64; 3]]) -> Result<(), MdError>,
) -> Result<Relaxation, MdError> {
    if !(settings.fmax_ev_per_angstrom.is_finite() && settings.fmax_ev_per_angstrom > 0.0) {
        return Err(MdError::InvalidSetting(format!(
            "fmax must be > 0 eV/Å, got {}",
            settings.fmax_ev_per_angstrom
        )));
    }
    let mut structure = structure;
    let mut evaluation = potential.evaluate(&structure, false)?;
    let initial_energy_ev = evaluation.energy_ev;
    observe(&structure, evaluation.energy_ev, &evaluation.forces_ev_per_angstrom)?;

    let mut velocities = vec![[0.0f64; 3]; structure.len()];
    let (mut dt, mut alpha, mut downhill_steps) = (settings.dt, settings.alpha_start, 0usize);
    let mut steps = 0;
    while max_force_norm(&evaluation.forces_ev_per_angstrom) >= settings.fmax_ev_per_angstrom
        && steps < settings.max_steps
    {
        let forces = &evaluation.forces_ev_per_angstrom;

        // Mix the velocity towards the force while the motion is downhill; stop it otherwise.
        // The first step starts from rest and adjusts nothing, as in ASE.
        if steps > 0 {
            if dot(&velocities, forces) > 0.0 {
                let (v_norm, f_norm) = (dot(&velocities, &velocities).sqrt(), dot(forces, forces).sqrt());
                for (v, f) in velocities.iter_mut().zip(forces) {
                    for c in 0..3 {
                        v[c] = (1.0 - alpha) * v[c] + alpha * f[c] / f_norm * v_norm;
                    }
                }
                if downhill_steps > settings.n_min {
                    dt = (dt * settings.f_inc).min(settings.dt_max);
                    alpha *= settings.f_alpha;
                }
                downhill_steps += 1;
            } else {
                velocities.iter_mut().for_each(|v| *v = [0.0; 3]);
                alpha = settings.alpha_start;
                dt *= settings.f_dec;
                downhill_steps = 0;
            }
        }

        // Euler step, the displacement capped as a whole.
        for (v, f) in velocities.iter_mut().zip(forces) {
            for c in 0..3 {
                v[c] += dt * f[c];
            }
        }
        let mut displacement: Vec<[f64; 3]> = velocities.iter().map(|v| v.map(|c| dt * c)).collect();
        let norm = dot(&displacement, &displacement).sqrt();
        if norm > settings.max_step_angstrom {
            let scale = settings.max_step_angstrom / norm;
            displacement.iter_mut().for_each(|d| *d = d.map(|c| c * scale));
        }
        for (x, d) in structure.positions.iter_mut().zip(&displacement) {
            for c in 0..3 {
                x[c] += d[c];
            }
        }

        evaluation = potential.evaluate(&structure, false)?;
        steps += 1;
        observe(&structure, evaluation.energy_ev, &evaluation.forces_ev_per_angstrom)?;
    }

    let fmax_ev_per_angstrom = max_force_norm(&evaluation.forces_ev_per_angstrom);
    Ok(Relaxation {
        structure,
        initial_energy_ev,
        energy_ev: evaluation.energy_ev,
        forces_ev_per_angstrom: evaluation.forces_ev_per_angstrom,
        fmax_ev_per_angstrom,
        steps,
        converged: fmax_ev_per_angstrom < settings.fmax_ev_per_angstrom,
    })
}

fn dot(a: &[[f64; 3]], b: &[[f64; 3]]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x[0] * y[0] + x[1] * y[1] + x[2] * y[2]).sum()
}
