//! Radial basis ("phys", PhysNet-style) and the cosine cutoff (spec §3).

use burn::prelude::*;
use std::f64::consts::PI;

/// Centres μ_k of the K radial functions: evenly spaced from e^(−r_cut) to 1.
pub fn radial_centres(n_radial: usize, cutoff_angstrom: f64) -> Vec<f64> {
    let start = (-cutoff_angstrom).exp();
    if n_radial == 1 {
        return vec![start];
    }
    let step = (1.0 - start) / (n_radial - 1) as f64;
    (0..n_radial).map(|k| start + step * k as f64).collect()
}

/// Width parameter β = ((2/K)(1 − e^(−r_cut)))^(−2) of the radial functions.
pub fn radial_width(n_radial: usize, cutoff_angstrom: f64) -> f64 {
    ((2.0 / n_radial as f64) * (1.0 - (-cutoff_angstrom).exp())).powi(-2)
}

/// e_k(d) = exp(−β (e^(−d) − μ_k)²) for one distance (reference values for tests).
pub fn radial_basis(distance_angstrom: f64, n_radial: usize, cutoff_angstrom: f64) -> Vec<f64> {
    let beta = radial_width(n_radial, cutoff_angstrom);
    radial_centres(n_radial, cutoff_angstrom)
        .into_iter()
        .map(|mu| (-beta * ((-distance_angstrom).exp() - mu).powi(2)).exp())
        .collect()
}

/// φ(d) = ½(cos(πd/r_cut) + 1) for d < r_cut, else 0 (reference value for tests).
pub fn cosine_cutoff(distance_angstrom: f64, cutoff_angstrom: f64) -> f64 {
    if distance_angstrom < cutoff_angstrom {
        0.5 * ((PI * distance_angstrom / cutoff_angstrom).cos() + 1.0)
    } else {
        0.0
    }
}

/// The radial basis for many distances on a backend.
///
/// # Shapes
/// - `distances`: (n, 1), in Å
/// - `centres`: (1, K), the μ_k of [`radial_centres`]
/// - returns: (n, K)
pub fn radial_basis_tensor<B: Backend>(
    distances: Tensor<B, 2>,
    centres: Tensor<B, 2>,
    width: f64,
) -> Tensor<B, 2> {
    let offsets = distances.neg().exp() - centres;
    (offsets.clone() * offsets).mul_scalar(-width).exp()
}

/// The cosine cutoff for many distances on a backend; zero (value and slope) from r_cut on.
///
/// # Shapes
/// - `distances`: (n, 1), in Å
/// - returns: (n, 1)
pub fn cosine_cutoff_tensor<B: Backend>(distances: Tensor<B, 2>, cutoff_angstrom: f64) -> Tensor<B, 2> {
    let outside = distances.clone().greater_equal_elem(cutoff_angstrom);
    let inside = distances.mul_scalar(PI / cutoff_angstrom).cos().add_scalar(1.0).mul_scalar(0.5);
    inside.mask_fill(outside, 0.0)
}
