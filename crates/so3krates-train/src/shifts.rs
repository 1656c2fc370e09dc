//! Per-element energy shifts μ_Z by least squares on the training set (spec §6, `lse`).
//!
//! Minimises Σ_s (E_s − Σ_Z n_sZ μ_Z)² without intercept, in f64. Total energies of
//! molecules are large (MD17 ethanol: about −97 000 kcal/mol) while the network learns
//! differences of a few kcal/mol in f32, so the shift must be removed in f64 before
//! anything reaches the network.
//!
//! When every training structure has the same composition (MD17) the counts matrix has rank
//! 1 and the μ_Z are not determined individually; the minimum-norm solution (pseudo-inverse,
//! as NumPy's `lstsq`) is taken. Σ μ_Z n_Z of that composition is then the mean energy.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use nalgebra::{DMatrix, DVector};

/// Fits μ_Z to `(atomic numbers, total energy)` pairs.
pub fn fit_energy_shifts<'a>(frames: impl IntoIterator<Item = (&'a [u8], f64)>) -> Result<BTreeMap<u8, f64>> {
    let frames: Vec<(&[u8], f64)> = frames.into_iter().collect();
    if frames.is_empty() {
        bail!("cannot fit energy shifts without training frames");
    }
    let elements: Vec<u8> = {
        let mut set: Vec<u8> = frames.iter().flat_map(|(numbers, _)| numbers.iter().copied()).collect();
        set.sort_unstable();
        set.dedup();
        set
    };
    let column = |z: u8| elements.binary_search(&z).unwrap_or(0);

    let mut counts = DMatrix::<f64>::zeros(frames.len(), elements.len()); // (n_frames, n_elements)
    let mut energies = DVector::<f64>::zeros(frames.len());
    for (row, (numbers, energy)) in frames.iter().enumerate() {
        for &z in *numbers {
            counts[(row, column(z))] += 1.0;
        }
        energies[row] = *energy;
    }

    let svd = counts.svd(true, true);
    let largest = svd.singular_values.max();
    let tolerance = largest * f64::EPSILON * frames.len().max(elements.len()) as f64;
    let solution = match svd.solve(&energies, tolerance) {
        Ok(solution) => solution,
        Err(message) => bail!("least-squares fit of the energy shifts failed: {message}"),
    };
    if solution.iter().any(|mu| !mu.is_finite()) {
        bail!("least-squares fit of the energy shifts gave non-finite values");
    }
    Ok(elements.iter().zip(solution.iter()).map(|(&z, &mu)| (z, mu)).collect())
}

/// Σ_i μ_(z_i) of one structure, in f64; an element without a shift is an error.
pub fn total_shift(shifts: &BTreeMap<u8, f64>, numbers: &[u8]) -> Result<f64> {
    numbers.iter().try_fold(0.0, |sum, z| match shifts.get(z) {
        Some(mu) => Ok(sum + mu),
        None => bail!("element Z={z} does not occur in the training set, so it has no energy shift"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn recovers_known_shifts_from_varied_compositions() {
        let truth: BTreeMap<u8, f64> = [(1, -13.6), (6, -1029.8), (8, -2041.3)].into();
        let mut rng = SplitMix64::new(1, 0);
        let frames: Vec<(Vec<u8>, f64)> = (0..40)
            .map(|_| {
                let mut numbers = Vec::new();
                for &z in truth.keys() {
                    numbers.extend(std::iter::repeat_n(z, 1 + rng.below(6)));
                }
                let noise = (rng.below(1000) as f64 / 1000.0 - 0.5) * 1e-3;
                let energy = total_shift(&truth, &numbers).unwrap() + noise;
                (numbers, energy)
            })
            .collect();
        let fitted = fit_energy_shifts(frames.iter().map(|(n, e)| (n.as_slice(), *e))).unwrap();
        for (z, mu) in &truth {
            assert!((fitted[z] - mu).abs() < 1e-3, "Z={z}: {} vs {mu}", fitted[z]);
        }
    }

    #[test]
    fn one_composition_gives_the_mean_energy() {
        // Ethanol C2H6O in every frame: rank-deficient, the sum is still the mean energy.
        let numbers = [6u8, 6, 8, 1, 1, 1, 1, 1, 1];
        let energies = [-97000.0, -97001.0, -97005.0, -96990.0];
        let fitted = fit_energy_shifts(energies.iter().map(|&e| (&numbers[..], e))).unwrap();
        let mean = energies.iter().sum::<f64>() / energies.len() as f64;
        assert!((total_shift(&fitted, &numbers).unwrap() - mean).abs() < 1e-8);
    }

    #[test]
    fn unknown_element_is_an_error() {
        let shifts: BTreeMap<u8, f64> = [(1, -0.5)].into();
        let error = total_shift(&shifts, &[1, 8]).unwrap_err();
        assert!(error.to_string().contains("Z=8"), "{error}");
    }
}
