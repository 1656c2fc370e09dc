//! The global L2 norm of the gradient, and clipping to a maximum global norm.
//!
//! Burn's own `GradientClippingConfig::Norm` clips every parameter tensor separately; the
//! reference clips by the norm of all gradients together (optax `clip_by_global_norm`),
//! which keeps the direction of the update.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use so3krates_core::network::So3krates;
use so3krates_core::tensors::{to_f64_vec, zeros};

struct SquaredNorm<'a, B: AutodiffBackend> {
    gradients: &'a GradientsParams,
    sum: Tensor<B::InnerBackend, 1>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for SquaredNorm<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(gradient) = self.gradients.get::<B::InnerBackend, D>(param.id) {
            let squares = (gradient.clone() * gradient).sum();
            self.sum = self.sum.clone() + squares;
        }
    }
}

struct Scale<'a> {
    gradients: &'a mut GradientsParams,
    factor: f64,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(gradient) = self.gradients.remove::<B::InnerBackend, D>(param.id) {
            self.gradients.register(param.id, gradient.mul_scalar(self.factor));
        }
    }
}

/// √(Σ g²) over every parameter gradient of `network` (non-finite if any gradient is).
pub fn global_norm<B: AutodiffBackend>(network: &So3krates<B>, gradients: &GradientsParams) -> f64 {
    let device = network.embedding.val().device();
    let mut visitor = SquaredNorm::<B> { gradients, sum: zeros([1], &device) };
    network.visit(&mut visitor);
    to_f64_vec(visitor.sum).first().copied().unwrap_or(f64::NAN).sqrt()
}

/// Multiplies every gradient of `network`'s parameters by `factor`.
pub fn scale_gradients<B: AutodiffBackend>(
    network: &So3krates<B>,
    gradients: &mut GradientsParams,
    factor: f64,
) {
    network.visit(&mut Scale { gradients, factor });
}
