//! The Lennard-Jones potential with shifted forces: an analytic [`ForcePredictor`] that
//! validates the integrators and the relaxation independently of the network.
//!
//! V(r) = 4ε[(σ/r)¹² − (σ/r)⁶] for every pair closer than the cutoff r_c, shifted so that
//! both the energy and the force go to zero at r_c (Allen & Tildesley's "shifted-force"
//! form: V_sf(r) = V(r) − V(r_c) − (r − r_c) V'(r_c)). Without the force shift a pair that
//! crosses r_c would kick the total energy, which an NVE test would read as drift.

use so3krates_core::neighbours::neighbour_list;
use so3krates_core::{CoreError, ForcePredictor, Prediction, Structure, Units};

/// A single-species Lennard-Jones fluid or cluster, in eV and Å.
#[derive(Clone, Debug, PartialEq)]
pub struct LennardJones {
    /// Well depth ε, eV.
    pub epsilon_ev: f64,
    /// Zero crossing σ, Å.
    pub sigma_angstrom: f64,
    /// Cutoff r_c, Å.
    pub cutoff_angstrom: f64,
}

impl LennardJones {
    /// Argon (ε = 0.0104 eV, σ = 3.40 Å) with a cutoff of 2.5σ.
    pub fn argon() -> Self {
        Self { epsilon_ev: 0.0104, sigma_angstrom: 3.40, cutoff_angstrom: 2.5 * 3.40 }
    }

    /// Unshifted pair energy V(r) (eV) and its derivative dV/dr (eV/Å).
    fn pair(&self, r: f64) -> (f64, f64) {
        let s6 = (self.sigma_angstrom / r).powi(6);
        let energy = 4.0 * self.epsilon_ev * (s6 * s6 - s6);
        let derivative = -24.0 * self.epsilon_ev * (2.0 * s6 * s6 - s6) / r;
        (energy, derivative)
    }

    /// Shifted-force pair energy (eV) and its derivative (eV/Å), both zero at the cutoff.
    pub fn shifted_pair(&self, r: f64) -> (f64, f64) {
        let rc = self.cutoff_angstrom;
        let (v, dv) = self.pair(r);
        let (v_rc, dv_rc) = self.pair(rc);
        (v - v_rc - (r - rc) * dv_rc, dv - dv_rc)
    }

    fn predict_one(&self, structure: &Structure, stress: bool) -> Result<Prediction, CoreError> {
        let pairs = neighbour_list(structure, self.cutoff_angstrom)?;
        let cell = structure.cell.unwrap_or([[0.0; 3]; 3]);
        let mut energy = 0.0;
        let mut forces = vec![[0.0; 3]; structure.len()];
        let mut virial = [[0.0; 3]; 3];

        // Each unordered pair once: the list holds every pair in both directions.
        for k in 0..pairs.n_unordered() {
            let (i, j) = (pairs.centres[k] as usize, pairs.neighbours[k] as usize);
            let shift = pairs.shifts[k].map(f64::from);
            let offset: [f64; 3] =
                [0, 1, 2].map(|c| shift[0] * cell[0][c] + shift[1] * cell[1][c] + shift[2] * cell[2][c]);
            let rij: [f64; 3] =
                [0, 1, 2].map(|c| structure.positions[j][c] - structure.positions[i][c] + offset[c]);
            let r = rij.iter().map(|x| x * x).sum::<f64>().sqrt();

            let (v, dv) = self.shifted_pair(r);
            energy += v;
            for c in 0..3 {
                // F_j = −dV/dr · r̂_ij, F_i = −F_j.
                let f = -dv * rij[c] / r;
                forces[j][c] += f;
                forces[i][c] -= f;
                for d in 0..3 {
                    virial[c][d] += dv * rij[c] * rij[d] / r;
                }
            }
        }

        let stress = match (stress && structure.is_periodic(), structure.volume()) {
            (true, Some(volume)) => Some(virial.map(|row| row.map(|w| w / volume))),
            _ => None,
        };
        Ok(Prediction { energy, forces, stress })
    }
}

impl ForcePredictor for LennardJones {
    fn predict(&self, structures: &[Structure], stress: bool) -> Result<Vec<Prediction>, CoreError> {
        structures
            .iter()
            .enumerate()
            .map(|(index, s)| {
                self.predict_one(s, stress).map_err(|e| CoreError::InBatch { index, source: Box::new(e) })
            })
            .collect()
    }

    fn cutoff_angstrom(&self) -> f64 {
        self.cutoff_angstrom
    }

    fn units(&self) -> Units {
        Units { energy: "eV".to_string(), length: "Å".to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dimer(r: f64) -> Structure {
        Structure::molecule(vec![18, 18], vec![[0.0, 0.0, 0.0], [r, 0.0, 0.0]])
    }

    #[test]
    fn energy_and_force_vanish_at_the_cutoff() {
        let lj = LennardJones::argon();
        let (v, dv) = lj.shifted_pair(lj.cutoff_angstrom);
        assert!(v.abs() < 1e-15 && dv.abs() < 1e-15);
    }

    #[test]
    fn dimer_force_is_minus_the_energy_derivative() {
        let lj = LennardJones::argon();
        let h = 1e-5;
        for r in [3.2, 3.8, 4.5, 7.0] {
            let e = |r| lj.predict(&[dimer(r)], false).unwrap()[0].energy;
            let numeric = -(e(r + h) - e(r - h)) / (2.0 * h);
            let force = lj.predict(&[dimer(r)], false).unwrap()[0].forces[1][0];
            assert!((force - numeric).abs() < 1e-8 * (1.0 + numeric.abs()), "r = {r}: {force} vs {numeric}");
        }
    }

    #[test]
    fn stress_is_the_strain_derivative_of_the_energy_per_volume() {
        // Simple cubic argon crystal, 1 atom per cell of side 3.7 Å: σ_xx = (1/V) dE/dε_xx.
        let lj = LennardJones::argon();
        let crystal = |a: f64, b: f64| {
            Structure::periodic(
                vec![18],
                vec![[0.0; 3]],
                [[a, 0.0, 0.0], [0.0, b, 0.0], [0.0, 0.0, b]],
                [true; 3],
            )
        };
        let (a, h) = (3.7, 1e-6);
        let energy = |a_x| lj.predict(&[crystal(a_x, a)], false).unwrap()[0].energy;
        let numeric = (energy(a * (1.0 + h)) - energy(a * (1.0 - h))) / (2.0 * h) / a.powi(3);
        let stress = lj.predict(&[crystal(a, a)], true).unwrap()[0].stress.unwrap();
        assert!(
            (stress[0][0] - numeric).abs() < 1e-7 * numeric.abs().max(1e-6),
            "{} vs {numeric}",
            stress[0][0]
        );
    }
}
