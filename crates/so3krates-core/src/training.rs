//! The force-training path: energies and forces that stay differentiable with respect to
//! the parameters, by nested autodiff.
//!
//! Parameters live on an autodiff backend `I`; each step lifts the network one level more,
//! to `Autodiff<I>`, differentiates the energy with respect to positions there, and gets
//! forces that are still tensors of `I`'s graph. A loss built from them on `I` then has an
//! exact parameter gradient (second order), without writing ∂E/∂R by hand.

use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;

use crate::graph::Batch;
use crate::network::So3krates;
use crate::tensors::{float_tensor, to_f64_vec};

/// Weights of the energy and force terms of the loss; normalised to sum to 1 when used.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossWeights {
    pub energy: f64,
    pub forces: f64,
}

impl Default for LossWeights {
    /// The reference defaults: 0.01 for energies, 0.99 for forces.
    fn default() -> Self {
        Self { energy: 0.01, forces: 0.99 }
    }
}

/// Predicted energies (n_structures,) and forces (n_atoms, 3), both on `I` and connected to
/// the parameters of `network`.
pub fn energies_and_forces<I: AutodiffBackend>(
    network: &So3krates<I>,
    batch: &Batch,
    device: &I::Device,
) -> (Tensor<I, 1>, Tensor<I, 2>) {
    let lifted = So3krates::<Autodiff<I>>::from_inner(network.clone()).no_grad();
    let graph = batch.to_tensors::<Autodiff<I>>(device);
    let positions = batch.positions_tensor::<Autodiff<I>>(device).require_grad();

    let energies = lifted.forward(positions.clone(), None, &graph);
    let gradients = energies.clone().sum().backward();
    let forces = match positions.grad(&gradients) {
        Some(gradient) => gradient.neg(),
        None => crate::tensors::zeros([batch.n_atoms(), 3], device),
    };
    (energies.inner(), forces)
}

/// The energy-and-force loss of `batch` against its labels, and its gradient with respect to
/// every parameter of `network`: the core of one optimisation step.
///
/// # Shapes
/// - `target_energies`: (n_structures,) in eV
/// - `target_forces`: (n_atoms·3,) in eV/Å, atom by atom
///
/// Returns the loss value (NaN or infinite when the step must be skipped) and the gradients.
pub fn loss_and_gradients<I: AutodiffBackend>(
    network: &So3krates<I>,
    batch: &Batch,
    target_energies: &[f64],
    target_forces: &[f64],
    weights: LossWeights,
    device: &I::Device,
) -> (f64, GradientsParams) {
    let (energies, forces) = energies_and_forces(network, batch, device);
    let target_energies = float_tensor(target_energies.to_vec(), [batch.n_structures()], device);
    let target_forces = float_tensor(target_forces.to_vec(), [batch.n_atoms(), 3], device);
    let loss = energy_force_loss(energies, forces, target_energies, target_forces, weights);

    let value = to_f64_vec(loss.clone().inner()).first().copied().unwrap_or(f64::NAN);
    let gradients = GradientsParams::from_grads(loss.backward(), network);
    (value, gradients)
}

/// Σ_t w_t·MSE_t over energies per structure and force components, weights normalised.
///
/// # Shapes
/// - `energies`, `target_energies`: (n_structures,)
/// - `forces`, `target_forces`: (n_atoms, 3)
/// - returns: (1,)
pub fn energy_force_loss<B: Backend>(
    energies: Tensor<B, 1>,
    forces: Tensor<B, 2>,
    target_energies: Tensor<B, 1>,
    target_forces: Tensor<B, 2>,
    weights: LossWeights,
) -> Tensor<B, 1> {
    let total = weights.energy + weights.forces;
    let energy_error = energies - target_energies;
    let force_error = forces - target_forces;
    let energy_mse = (energy_error.clone() * energy_error).mean();
    let force_mse = (force_error.clone() * force_error).mean();
    energy_mse.mul_scalar(weights.energy / total) + force_mse.mul_scalar(weights.forces / total)
}
