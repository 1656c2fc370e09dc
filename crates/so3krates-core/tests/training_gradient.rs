//! The force-training path is exact to second order: the parameter gradient of a loss that
//! contains forces (themselves position gradients) equals its finite difference.

mod common;

use burn::backend::Autodiff;
use burn::module::Param;
use burn::prelude::*;
use common::*;
use so3krates_core::backend::CpuF64Backend;
use so3krates_core::graph::Batch;
use so3krates_core::network::So3krates;
use so3krates_core::tensors::{float_tensor, to_f64_vec};
use so3krates_core::training::{energies_and_forces, energy_force_loss, LossWeights};

type Inner = Autodiff<CpuF64Backend>;

fn loss_value(
    network: &So3krates<Inner>,
    batch: &Batch,
    targets: &(Vec<f64>, Vec<f64>),
) -> (Tensor<Inner, 1>, f64) {
    let device = Default::default();
    let (energies, forces) = energies_and_forces(network, batch, &device);
    let loss = energy_force_loss(
        energies,
        forces,
        float_tensor(targets.0.clone(), [batch.n_structures()], &device),
        float_tensor(targets.1.clone(), [batch.n_atoms(), 3], &device),
        LossWeights { energy: 0.0, forces: 1.0 }, // forces only: purely second order
    );
    let value = to_f64_vec(loss.clone().inner())[0];
    (loss, value)
}

/// Replaces one entry of a layer's radial-filter kernel.
fn with_weight(network: &So3krates<Inner>, row: usize, column: usize, delta: f64) -> So3krates<Inner> {
    let mut changed = network.clone();
    let layer = &mut changed.layers[1];
    let weight = layer.feature_filter.radial.second.weight.val().inner();
    let mut values = to_f64_vec(weight.clone());
    let [_, columns] = weight.dims();
    values[row * columns + column] += delta;
    let device = Default::default();
    layer.feature_filter.radial.second.weight =
        Param::from_tensor(Tensor::from_inner(float_tensor(values, weight.dims(), &device)).require_grad());
    changed
}

#[test]
fn loss_gradient_with_forces_equals_its_finite_difference() {
    let device = Default::default();
    let network = So3krates::<Inner>::new(&small_config(), &device);
    let structures = vec![distorted_ethanol(20), distorted_ethanol(21)];
    let batch = Batch::from_structures(&structures, &small_config()).unwrap();
    // Targets far from the predictions so that both loss terms have large gradients.
    let targets =
        (vec![0.3, -0.2], (0..27 * 2 / 3 * 3).map(|k| ((k % 7) as f64 - 3.0) * 0.1).collect::<Vec<_>>());
    assert_eq!(targets.1.len(), 3 * batch.n_atoms());

    let (loss, _) = loss_value(&network, &batch, &targets);
    let gradients = loss.backward();
    let weight_gradient =
        network.layers[1].feature_filter.radial.second.weight.grad(&gradients).expect("gradient");
    let analytic = to_f64_vec(weight_gradient);
    let columns = small_config().features;

    let h = 1e-5;
    for (row, column) in [(0, 0), (3, 7), (10, 20)] {
        let plus = loss_value(&with_weight(&network, row, column, h), &batch, &targets).1;
        let minus = loss_value(&with_weight(&network, row, column, -h), &batch, &targets).1;
        let numerical = (plus - minus) / (2.0 * h);
        let a = analytic[row * columns + column];
        assert!(a.abs() > 1e-8, "gradient entry ({row},{column}) is trivially zero");
        assert!((a - numerical).abs() < 1e-6 * a.abs().max(1e-3), "({row},{column}): {a} vs {numerical}");
    }
}
