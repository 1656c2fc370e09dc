//! Spherical harmonics, radial basis, cutoff and parameter counts against the values of the
//! specification (shared/docs/so3krates-model.md §2, §3, §5.1, §5.9).

mod common;

use nalgebra::{DMatrix, Vector3};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use so3krates_core::backend::CpuF64Backend;
use so3krates_core::blocks::SphcAlgebra;
use so3krates_core::network::So3krates;
use so3krates_core::radial::{cosine_cutoff, radial_basis};
use so3krates_core::spherical::{spherical_harmonics, spherical_harmonics_tensor};
use so3krates_core::tensors::{float_tensor, to_f64_vec};
use so3krates_core::ModelConfig;

fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < tolerance, "{actual:?} != {expected:?}");
    }
}

fn random_unit(rng: &mut StdRng) -> [f64; 3] {
    let v =
        Vector3::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))
            .normalize();
    [v[0], v[1], v[2]]
}

#[test]
fn harmonics_equal_the_spec_table_at_1_2_3() {
    let u = [1.0, 2.0, 3.0].map(|v: f64| v / 14f64.sqrt());
    assert_close(&spherical_harmonics(1, u), &[0.26116903, 0.39175354, 0.13058451], 1e-8);
    assert_close(
        &spherical_harmonics(2, u),
        &[0.15607835, 0.46823504, 0.29286360, 0.23411752, -0.11705876],
        1e-8,
    );
    assert_close(
        &spherical_harmonics(3, u),
        &[-0.02252797, 0.33109217, 0.54095278, 0.06411572, 0.27047639, -0.24831913, -0.12390383],
        1e-8,
    );
    assert_close(&spherical_harmonics(0, u), &[0.28209479], 1e-8);
}

#[test]
fn sum_of_squares_is_2l_plus_1_over_4pi_and_parity_is_minus_one_to_the_l() {
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..100 {
        let u = random_unit(&mut rng);
        for l in 0..=4 {
            let y = spherical_harmonics(l, u);
            let sum: f64 = y.iter().map(|v| v * v).sum();
            let expected = (2 * l + 1) as f64 / (4.0 * std::f64::consts::PI);
            assert!((sum - expected).abs() < 1e-14, "l={l}: {sum} vs {expected}");

            let mirrored = spherical_harmonics(l, u.map(|v| -v));
            let sign = if l % 2 == 0 { 1.0 } else { -1.0 };
            assert_close(&mirrored, &y.iter().map(|v| sign * v).collect::<Vec<_>>(), 1e-14);
        }
    }
}

/// Y_l(Qu) = D_l(Q) Y_l(u): fit D_l by least squares from 60 directions, then require an
/// exact fit and an orthogonal D_l (both to ~1e-13 in f64).
#[test]
fn rotation_acts_through_an_orthogonal_wigner_matrix() {
    let mut rng = StdRng::seed_from_u64(2);
    let q = common::random_rotation(&mut rng);
    for l in 1..=4 {
        let width = 2 * l + 1;
        let directions: Vec<[f64; 3]> = (0..60).map(|_| random_unit(&mut rng)).collect();
        let before = DMatrix::from_fn(60, width, |i, m| spherical_harmonics(l, directions[i])[m]);
        let after =
            DMatrix::from_fn(60, width, |i, m| spherical_harmonics(l, common::rotate(directions[i], &q))[m]);

        // after = before · Dᵀ  →  Dᵀ = pinv(before) · after
        let d_transposed = before.clone().svd(true, true).solve(&after, 1e-12).expect("full rank");
        let residual = (&before * &d_transposed - &after).amax();
        let orthogonality =
            (&d_transposed * d_transposed.transpose() - DMatrix::identity(width, width)).amax();
        assert!(residual < 1e-12, "l={l}: fit residual {residual}");
        assert!(orthogonality < 1e-12, "l={l}: D Dᵀ − I = {orthogonality}");
    }
}

#[test]
fn tensor_harmonics_equal_the_scalar_ones() {
    let mut rng = StdRng::seed_from_u64(3);
    let directions: Vec<[f64; 3]> = (0..10).map(|_| random_unit(&mut rng)).collect();
    let degrees = [0, 1, 2, 3, 4];
    let device = Default::default();
    let tensor =
        float_tensor::<CpuF64Backend, 2>(directions.iter().flatten().copied().collect(), [10, 3], &device);
    let values = to_f64_vec(spherical_harmonics_tensor(tensor, &degrees));
    let expected: Vec<f64> = directions
        .iter()
        .flat_map(|&u| degrees.iter().flat_map(move |&l| spherical_harmonics(l, u)))
        .collect();
    assert_close(&values, &expected, 1e-14);
}

#[test]
fn radial_basis_and_cutoff_equal_the_spec_values() {
    let e = radial_basis(1.5, 32, 5.0);
    let argmax = e.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, _)| k);
    assert_eq!(argmax, Some(7));
    assert!((e[7] - 0.98396513).abs() < 1e-8);
    assert!((e[5] - 0.44076782).abs() < 1e-8);
    assert!((e[0] - 5.2855e-6).abs() < 1e-9);
    assert!((so3krates_core::radial::radial_width(32, 5.0) - 259.48501).abs() < 1e-4);

    assert!((cosine_cutoff(1.5, 5.0) - 0.79389263).abs() < 1e-8);
    assert_eq!(cosine_cutoff(5.0, 5.0), 0.0);
    let slope = (cosine_cutoff(5.0 - 1e-6, 5.0) - cosine_cutoff(5.0 - 2e-6, 5.0)) / 1e-6;
    assert!(slope.abs() < 1e-5, "slope at the cutoff {slope}");
}

#[test]
fn degree_invariants_of_harmonics_equal_sqrt_2l_plus_1_over_4pi() {
    let device = Default::default();
    let algebra = SphcAlgebra::<CpuF64Backend>::new(&[1, 2, 3], &device);
    let u = [1.0, 2.0, 3.0].map(|v: f64| v / 14f64.sqrt());
    let y: Vec<f64> = (1..=3).flat_map(|l| spherical_harmonics(l, u)).collect();
    let invariants = to_f64_vec(algebra.invariants(float_tensor(y, [1, 15], &device)));
    assert_close(&invariants, &[0.13783222, 0.17794064, 0.21054220], 1e-8);
}

#[test]
fn parameter_counts_match_the_reference() {
    let device = Default::default();
    let three_layers = So3krates::<CpuF64Backend>::new(&ModelConfig::default(), &device);
    assert_eq!(three_layers.parameter_count(), 319_213);
    let six_layers =
        So3krates::<CpuF64Backend>::new(&ModelConfig { layers: 6, ..ModelConfig::default() }, &device);
    assert_eq!(six_layers.parameter_count(), 607_537);
}
