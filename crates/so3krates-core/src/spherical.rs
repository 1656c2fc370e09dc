//! Real spherical harmonics, degrees 0 to 4.
//!
//! Convention (spec §2): real, orthonormal on the unit sphere, no Condon–Shortley phase,
//! components ordered m = −l, …, l; Σ_m Y_lm(u)² = (2l+1)/4π for every unit u.
//!
//! Each component is stored as a homogeneous polynomial of degree l in the unit vector
//! (x, y, z) (using x² + y² + z² = 1, e.g. 3z² − 1 = 2z² − x² − y²). On a backend, all
//! components then come from one matmul of the monomials u, u⊗u, u⊗u⊗u, … with a constant
//! coefficient matrix: a handful of tensor operations instead of one per term.

use burn::prelude::*;
use std::f64::consts::PI;

use crate::tensors::float_tensor;

/// Highest supported degree.
pub const MAX_DEGREE: usize = 4;

/// Number of SPHC components for a list of degrees: Σ_l (2l+1).
pub fn sphc_width(degrees: &[usize]) -> usize {
    degrees.iter().map(|l| 2 * l + 1).sum()
}

/// One term c·x^a·y^b·z^c of a polynomial: (coefficient, [a, b, c]).
type Term = (f64, [usize; 3]);

/// Normalisation constant and homogeneous polynomial of each component of degree `l`,
/// ordered m = −l … l.
fn components(l: usize) -> Vec<(f64, Vec<Term>)> {
    let s = f64::sqrt;
    match l {
        0 => vec![(0.5 * s(1.0 / PI), vec![(1.0, [0, 0, 0])])],
        1 => {
            let a = s(3.0 / (4.0 * PI));
            vec![(a, vec![(1.0, [0, 1, 0])]), (a, vec![(1.0, [0, 0, 1])]), (a, vec![(1.0, [1, 0, 0])])]
        }
        2 => {
            let (b, c, e) = (0.5 * s(15.0 / PI), 0.25 * s(5.0 / PI), 0.25 * s(15.0 / PI));
            vec![
                (b, vec![(1.0, [1, 1, 0])]),
                (b, vec![(1.0, [0, 1, 1])]),
                (c, vec![(2.0, [0, 0, 2]), (-1.0, [2, 0, 0]), (-1.0, [0, 2, 0])]),
                (b, vec![(1.0, [1, 0, 1])]),
                (e, vec![(1.0, [2, 0, 0]), (-1.0, [0, 2, 0])]),
            ]
        }
        3 => {
            let f = 0.25 * s(35.0 / (2.0 * PI));
            let g = 0.5 * s(105.0 / PI);
            let h = 0.25 * s(21.0 / (2.0 * PI));
            let k = 0.25 * s(7.0 / PI);
            let p = 0.25 * s(105.0 / PI);
            vec![
                (f, vec![(3.0, [2, 1, 0]), (-1.0, [0, 3, 0])]),
                (g, vec![(1.0, [1, 1, 1])]),
                (h, vec![(4.0, [0, 1, 2]), (-1.0, [2, 1, 0]), (-1.0, [0, 3, 0])]),
                (k, vec![(2.0, [0, 0, 3]), (-3.0, [2, 0, 1]), (-3.0, [0, 2, 1])]),
                (h, vec![(4.0, [1, 0, 2]), (-1.0, [3, 0, 0]), (-1.0, [1, 2, 0])]),
                (p, vec![(1.0, [2, 0, 1]), (-1.0, [0, 2, 1])]),
                (f, vec![(1.0, [3, 0, 0]), (-3.0, [1, 2, 0])]),
            ]
        }
        4 => {
            let a = 0.75 * s(35.0 / PI);
            let b = 0.75 * s(35.0 / (2.0 * PI));
            let c = 0.75 * s(5.0 / PI);
            let d = 0.75 * s(5.0 / (2.0 * PI));
            let e = 3.0 / 16.0 * s(1.0 / PI);
            let f = 3.0 / 8.0 * s(5.0 / PI);
            let g = 3.0 / 16.0 * s(35.0 / PI);
            vec![
                (a, vec![(1.0, [3, 1, 0]), (-1.0, [1, 3, 0])]),
                (b, vec![(3.0, [2, 1, 1]), (-1.0, [0, 3, 1])]),
                (c, vec![(6.0, [1, 1, 2]), (-1.0, [3, 1, 0]), (-1.0, [1, 3, 0])]),
                (d, vec![(4.0, [0, 1, 3]), (-3.0, [2, 1, 1]), (-3.0, [0, 3, 1])]),
                (
                    e,
                    vec![
                        (8.0, [0, 0, 4]),
                        (-24.0, [2, 0, 2]),
                        (-24.0, [0, 2, 2]),
                        (3.0, [4, 0, 0]),
                        (3.0, [0, 4, 0]),
                        (6.0, [2, 2, 0]),
                    ],
                ),
                (d, vec![(4.0, [1, 0, 3]), (-3.0, [3, 0, 1]), (-3.0, [1, 2, 1])]),
                (f, vec![(6.0, [2, 0, 2]), (-6.0, [0, 2, 2]), (-1.0, [4, 0, 0]), (1.0, [0, 4, 0])]),
                (b, vec![(1.0, [3, 0, 1]), (-3.0, [1, 2, 1])]),
                (g, vec![(1.0, [4, 0, 0]), (-6.0, [2, 2, 0]), (1.0, [0, 4, 0])]),
            ]
        }
        _ => vec![],
    }
}

/// Real spherical harmonics of degree `l` (0..=4) at the unit vector `u`, m = −l … l.
///
/// Returns an empty vector for an unsupported degree. `u` must have unit length.
pub fn spherical_harmonics(l: usize, u: [f64; 3]) -> Vec<f64> {
    components(l)
        .into_iter()
        .map(|(constant, terms)| {
            let polynomial: f64 = terms
                .iter()
                .map(|(c, [a, b, d])| c * u[0].powi(*a as i32) * u[1].powi(*b as i32) * u[2].powi(*d as i32))
                .sum();
            constant * polynomial
        })
        .collect()
}

/// Column of the monomial x^a y^b z^c within the flattened tensor power u^⊗(a+b+c): the
/// axis indices sorted ascending (x…x y…y z…z), read as a base-3 number.
fn monomial_column([a, b, c]: [usize; 3]) -> usize {
    std::iter::repeat_n(0, a)
        .chain(std::iter::repeat_n(1, b))
        .chain(std::iter::repeat_n(2, c))
        .fold(0, |column, axis| 3 * column + axis)
}

/// Real spherical harmonics of the given degrees for many unit vectors, on a backend.
///
/// # Shapes
/// - `unit_vectors`: (n, 3), each row of unit length
/// - returns: (n, Σ_l (2l+1)), degree blocks in the order of `degrees`, each ordered m = −l … l
pub fn spherical_harmonics_tensor<B: Backend>(unit_vectors: Tensor<B, 2>, degrees: &[usize]) -> Tensor<B, 2> {
    let [n, _] = unit_vectors.dims();
    let device = unit_vectors.device();
    let max_degree = degrees.iter().copied().max().unwrap_or(0).min(MAX_DEGREE);

    // Tensor powers u^⊗d, flattened to (n, 3^d), for d = 0 … max_degree.
    let mut powers = vec![float_tensor::<B, 2>(vec![1.0; n], [n, 1], &device)];
    for d in 1..=max_degree {
        let previous = powers[d - 1].clone().reshape([n, 3usize.pow(d as u32 - 1), 1]);
        let next = previous * unit_vectors.clone().reshape([n, 1, 3]);
        powers.push(next.reshape([n, 3usize.pow(d as u32)]));
    }
    let offsets: Vec<usize> = (0..=max_degree)
        .scan(0, |offset, d| {
            let start = *offset;
            *offset += 3usize.pow(d as u32);
            Some(start)
        })
        .collect();
    let n_monomials: usize = (0..=max_degree).map(|d| 3usize.pow(d as u32)).sum();

    // Coefficients: (n_monomials, width), one column per output component.
    let width = sphc_width(degrees);
    let mut coefficients = vec![0.0; n_monomials * width];
    let mut component = 0;
    for &l in degrees {
        for (constant, terms) in components(l) {
            for (c, exponents) in terms {
                let row = offsets[l] + monomial_column(exponents);
                coefficients[row * width + component] += constant * c;
            }
            component += 1;
        }
    }
    let coefficients = float_tensor::<B, 2>(coefficients, [n_monomials, width], &device);

    Tensor::cat(powers, 1).matmul(coefficients)
}
