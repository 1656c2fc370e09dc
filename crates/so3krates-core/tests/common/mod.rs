//! Shared fixtures of the core integration tests.
#![allow(dead_code)]

use nalgebra::{Matrix3, Rotation3, Vector3};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use so3krates_core::backend::CpuF64Backend;
use so3krates_core::{Model, ModelConfig, Structure};

pub use so3krates_core::examples::ethanol;

/// A small random perturbation of ethanol, so that no symmetry hides an error.
pub fn distorted_ethanol(seed: u64) -> Structure {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut structure = ethanol();
    for r in &mut structure.positions {
        for v in r.iter_mut() {
            *v += rng.random_range(-0.1..0.1);
        }
    }
    structure
}

/// A small model (fast in f64) that still has every block: 2 layers, degrees 1–3, 4 heads.
pub fn small_config() -> ModelConfig {
    ModelConfig {
        features: 24,
        layers: 2,
        heads: 4,
        degrees: vec![1, 2, 3],
        radial_functions: 16,
        ..ModelConfig::default()
    }
}

pub fn f64_model(config: ModelConfig) -> Model<CpuF64Backend> {
    Model::new(config, &Default::default()).expect("valid config")
}

/// A uniformly random rotation (possibly improper when `improper`).
pub fn random_rotation(rng: &mut StdRng) -> Matrix3<f64> {
    let axis =
        Vector3::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
    let angle = rng.random_range(0.0..std::f64::consts::TAU);
    *Rotation3::from_axis_angle(&nalgebra::Unit::new_normalize(axis), angle).matrix()
}

pub fn rotate(v: [f64; 3], q: &Matrix3<f64>) -> [f64; 3] {
    let r = q * Vector3::from(v);
    [r[0], r[1], r[2]]
}

/// Largest |a − b| over two force lists.
pub fn max_force_difference(a: &[[f64; 3]], b: &[[f64; 3]]) -> f64 {
    a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Largest |F| component, to make tolerances relative.
pub fn force_scale(f: &[[f64; 3]]) -> f64 {
    f.iter().flatten().map(|x| x.abs()).fold(0.0, f64::max)
}
