//! Real spherical harmonics, degrees 0 to 4.
//!
//! Convention (spec §2): real, orthonormal on the unit sphere, no Condon–Shortley phase,
//! components ordered m = −l, …, l. The functions are polynomials of the **unit** vector
//! (x, y, z), so Σ_m Y_lm(u)² = (2l+1)/4π for every unit u.

use burn::prelude::*;
use std::f64::consts::PI;

/// Highest supported degree.
pub const MAX_DEGREE: usize = 4;

/// Number of SPHC components for a list of degrees: Σ_l (2l+1).
pub fn sphc_width(degrees: &[usize]) -> usize {
    degrees.iter().map(|l| 2 * l + 1).sum()
}

/// Normalisation constants of the degree-l components, m = −l … l, applied to the monomial
/// expressions in [`monomials`].
fn constants(l: usize) -> Vec<f64> {
    let s = f64::sqrt;
    match l {
        0 => vec![0.5 * s(1.0 / PI)],
        1 => vec![s(3.0 / (4.0 * PI)); 3],
        2 => {
            let b = 0.5 * s(15.0 / PI);
            let c = 0.25 * s(5.0 / PI);
            let e = 0.25 * s(15.0 / PI);
            vec![b, b, c, b, e]
        }
        3 => {
            let f = 0.25 * s(35.0 / (2.0 * PI));
            let g = 0.5 * s(105.0 / PI);
            let h = 0.25 * s(21.0 / (2.0 * PI));
            let k = 0.25 * s(7.0 / PI);
            let p = 0.25 * s(105.0 / PI);
            vec![f, g, h, k, h, p, f]
        }
        4 => {
            let a = 0.75 * s(35.0 / PI);
            let b = 0.75 * s(35.0 / (2.0 * PI));
            let c = 0.75 * s(5.0 / PI);
            let d = 0.75 * s(5.0 / (2.0 * PI));
            let e = 3.0 / 16.0 * s(1.0 / PI);
            let f = 3.0 / 8.0 * s(5.0 / PI);
            let g = 3.0 / 16.0 * s(35.0 / PI);
            vec![a, b, c, d, e, d, f, b, g]
        }
        _ => vec![],
    }
}

/// The polynomial part of each component, generic over scalars and tensors.
///
/// `x`, `y`, `z` are the components of a unit vector; the returned vector has 2l+1 entries.
fn monomials<T>(l: usize, x: &T, y: &T, z: &T, one: &dyn Fn(&T) -> T) -> Vec<T>
where
    T: Clone
        + std::ops::Mul<Output = T>
        + std::ops::Sub<Output = T>
        + std::ops::Add<Output = T>
        + std::ops::Mul<f64, Output = T>
        + std::ops::Sub<f64, Output = T>
        + std::ops::Add<f64, Output = T>,
{
    let (x, y, z) = (x.clone(), y.clone(), z.clone());
    let xx = x.clone() * x.clone();
    let yy = y.clone() * y.clone();
    let zz = z.clone() * z.clone();
    match l {
        0 => vec![one(&x)],
        1 => vec![y, z, x],
        2 => vec![
            x.clone() * y.clone(),
            y.clone() * z.clone(),
            zz * 3.0 - 1.0,
            x.clone() * z,
            xx - yy,
        ],
        3 => {
            let five_zz_minus_1 = zz.clone() * 5.0 - 1.0;
            vec![
                y.clone() * (xx.clone() * 3.0 - yy.clone()),
                x.clone() * y.clone() * z.clone(),
                y.clone() * five_zz_minus_1.clone(),
                z.clone() * (zz * 5.0 - 3.0),
                x.clone() * five_zz_minus_1,
                z * (xx.clone() - yy.clone()),
                x * (xx - yy * 3.0),
            ]
        }
        4 => {
            let seven_zz_minus_1 = zz.clone() * 7.0 - 1.0;
            let seven_zz_minus_3 = zz.clone() * 7.0 - 3.0;
            let xx_minus_yy = xx.clone() - yy.clone();
            vec![
                x.clone() * y.clone() * xx_minus_yy.clone(),
                y.clone() * z.clone() * (xx.clone() * 3.0 - yy.clone()),
                x.clone() * y.clone() * seven_zz_minus_1.clone(),
                y.clone() * z.clone() * seven_zz_minus_3.clone(),
                (zz.clone() * zz.clone() * 35.0 - zz * 30.0) + 3.0,
                x.clone() * z.clone() * seven_zz_minus_3,
                xx_minus_yy * seven_zz_minus_1,
                x.clone() * z * (xx.clone() - yy.clone() * 3.0),
                xx.clone() * (xx.clone() - yy.clone() * 3.0) - yy.clone() * (xx * 3.0 - yy),
            ]
        }
        _ => vec![],
    }
}

/// Scalar wrapper so the generic polynomial code runs on f64.
#[derive(Clone, Copy, Debug)]
struct Scalar(f64);

impl std::ops::Mul for Scalar {
    type Output = Scalar;
    fn mul(self, rhs: Scalar) -> Scalar {
        Scalar(self.0 * rhs.0)
    }
}
impl std::ops::Sub for Scalar {
    type Output = Scalar;
    fn sub(self, rhs: Scalar) -> Scalar {
        Scalar(self.0 - rhs.0)
    }
}
impl std::ops::Add for Scalar {
    type Output = Scalar;
    fn add(self, rhs: Scalar) -> Scalar {
        Scalar(self.0 + rhs.0)
    }
}
impl std::ops::Mul<f64> for Scalar {
    type Output = Scalar;
    fn mul(self, rhs: f64) -> Scalar {
        Scalar(self.0 * rhs)
    }
}
impl std::ops::Sub<f64> for Scalar {
    type Output = Scalar;
    fn sub(self, rhs: f64) -> Scalar {
        Scalar(self.0 - rhs)
    }
}
impl std::ops::Add<f64> for Scalar {
    type Output = Scalar;
    fn add(self, rhs: f64) -> Scalar {
        Scalar(self.0 + rhs)
    }
}

/// Real spherical harmonics of degree `l` (0..=4) at the unit vector `u`, m = −l … l.
///
/// Returns an empty vector for an unsupported degree. `u` must have unit length.
pub fn spherical_harmonics(l: usize, u: [f64; 3]) -> Vec<f64> {
    let [x, y, z] = u.map(Scalar);
    let values = monomials(l, &x, &y, &z, &|_| Scalar(1.0));
    values.iter().zip(constants(l)).map(|(v, c)| v.0 * c).collect()
}

/// Real spherical harmonics of the given degrees for many unit vectors, on a backend.
///
/// # Shapes
/// - `unit_vectors`: (n, 3), each row of unit length
/// - returns: (n, Σ_l (2l+1)), degree blocks in the order of `degrees`, each ordered m = −l … l
pub fn spherical_harmonics_tensor<B: Backend>(
    unit_vectors: Tensor<B, 2>,
    degrees: &[usize],
) -> Tensor<B, 2> {
    let [n, _] = unit_vectors.dims();
    let x = Poly(unit_vectors.clone().narrow(1, 0, 1));
    let y = Poly(unit_vectors.clone().narrow(1, 1, 1));
    let z = Poly(unit_vectors.narrow(1, 2, 1));

    let mut columns = Vec::new();
    for &l in degrees {
        let ones = |t: &Poly<B>| Poly(t.0.ones_like());
        for (value, constant) in monomials(l, &x, &y, &z, &ones).into_iter().zip(constants(l)) {
            columns.push(value.0 * constant);
        }
    }
    if columns.is_empty() {
        return crate::tensors::zeros([n, 0], &x.0.device());
    }
    Tensor::cat(columns, 1)
}

/// Tensor wrapper so the generic polynomial code runs on (n, 1) backend tensors.
#[derive(Clone, Debug)]
struct Poly<B: Backend>(Tensor<B, 2>);

impl<B: Backend> std::ops::Mul for Poly<B> {
    type Output = Poly<B>;
    fn mul(self, rhs: Poly<B>) -> Poly<B> {
        Poly(self.0 * rhs.0)
    }
}
impl<B: Backend> std::ops::Sub for Poly<B> {
    type Output = Poly<B>;
    fn sub(self, rhs: Poly<B>) -> Poly<B> {
        Poly(self.0 - rhs.0)
    }
}
impl<B: Backend> std::ops::Add for Poly<B> {
    type Output = Poly<B>;
    fn add(self, rhs: Poly<B>) -> Poly<B> {
        Poly(self.0 + rhs.0)
    }
}
impl<B: Backend> std::ops::Mul<f64> for Poly<B> {
    type Output = Poly<B>;
    fn mul(self, rhs: f64) -> Poly<B> {
        Poly(self.0.mul_scalar(rhs))
    }
}
impl<B: Backend> std::ops::Sub<f64> for Poly<B> {
    type Output = Poly<B>;
    fn sub(self, rhs: f64) -> Poly<B> {
        Poly(self.0.sub_scalar(rhs))
    }
}
impl<B: Backend> std::ops::Add<f64> for Poly<B> {
    type Output = Poly<B>;
    fn add(self, rhs: f64) -> Poly<B> {
        Poly(self.0.add_scalar(rhs))
    }
}
