//! Building blocks written from tensor primitives so that they differentiate twice.
//!
//! burn 0.21's `nn::Linear` panics in the second backward pass and its `silu` computes in
//! f32 even for f64 tensors (see `shared/docs/burn-0.21-notes.md`), so the model uses these.

use burn::module::{Module, Param};
use burn::prelude::*;
use burn::tensor::DType;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use crate::tensors::float_tensor;

/// Standard deviation of a standard normal truncated to [−2, 2]; LeCun-normal initialisation
/// divides by it so that the truncated samples have variance 1/fan_in (as Flax does).
const TRUNCATED_NORMAL_STD: f64 = 0.879_625_661_034_239_8;

/// Samples `count` values of a LeCun-normal initialiser: a normal truncated at ±2σ with
/// variance 1/`fan_in`.
pub fn lecun_normal(rng: &mut StdRng, count: usize, fan_in: usize) -> Vec<f64> {
    let scale = (1.0 / fan_in as f64).sqrt() / TRUNCATED_NORMAL_STD;
    let mut values = Vec::with_capacity(count);
    while values.len() < count {
        let z: f64 = StandardNormal.sample(rng);
        if z.abs() <= 2.0 {
            values.push(z * scale);
        }
    }
    values
}

/// Samples `count` values of N(0, std²).
pub fn normal(rng: &mut StdRng, count: usize, std: f64) -> Vec<f64> {
    (0..count)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            std * z
        })
        .collect()
}

/// silu(x) = x·sigmoid(x).
///
/// burn's fused `sigmoid` (one autodiff node, fast kernels) computes internally in f32, so
/// f64 tensors take sigmoid(x) = ½(1 + tanh(x/2)) from primitives instead, which keeps f64
/// precision and stays finite for large |x|.
pub fn silu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let sigmoid = if x.dtype() == DType::F64 {
        x.clone().mul_scalar(0.5).tanh().add_scalar(1.0).mul_scalar(0.5)
    } else {
        burn::tensor::activation::sigmoid(x.clone())
    };
    x * sigmoid
}

/// An affine layer y = x·W + b, from `matmul` and an addition.
#[derive(Module, Debug)]
pub struct Dense<B: Backend> {
    /// Kernel, shape (in, out), LeCun-normal initialised.
    pub weight: Param<Tensor<B, 2>>,
    /// Bias, shape (out,), zero initialised; absent for bias-free layers.
    pub bias: Option<Param<Tensor<B, 1>>>,
}

impl<B: Backend> Dense<B> {
    /// A new layer with its parameters materialised on `device`.
    pub fn new(inputs: usize, outputs: usize, bias: bool, rng: &mut StdRng, device: &B::Device) -> Self {
        let weight = float_tensor(lecun_normal(rng, inputs * outputs, inputs), [inputs, outputs], device);
        let bias = bias.then(|| Param::from_tensor(float_tensor(vec![0.0; outputs], [outputs], device)));
        Self { weight: Param::from_tensor(weight), bias }
    }

    /// # Shapes
    /// - `x`: (n, in)
    /// - returns: (n, out)
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let y = x.matmul(self.weight.val());
        match &self.bias {
            Some(bias) => y + bias.val().unsqueeze_dim(0),
            None => y,
        }
    }
}

/// Two dense layers with a silu between them and no activation after the last.
#[derive(Module, Debug)]
pub struct TwoLayerMlp<B: Backend> {
    pub first: Dense<B>,
    pub second: Dense<B>,
}

impl<B: Backend> TwoLayerMlp<B> {
    pub fn new(inputs: usize, hidden: usize, outputs: usize, rng: &mut StdRng, device: &B::Device) -> Self {
        Self {
            first: Dense::new(inputs, hidden, true, rng, device),
            second: Dense::new(hidden, outputs, true, rng, device),
        }
    }

    /// # Shapes
    /// - `x`: (n, in)
    /// - returns: (n, out)
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.second.forward(silu(self.first.forward(x)))
    }
}

/// Independent bias-free square matrices, one per head, each acting on its own contiguous
/// chunk of the features (e.g. the per-head W_Q of an attention block).
#[derive(Module, Debug)]
pub struct HeadwiseLinear<B: Backend> {
    /// Stacked per-head kernels, shape (heads, chunk, chunk), each LeCun-normal with fan-in
    /// `chunk`.
    pub weight: Param<Tensor<B, 3>>,
}

impl<B: Backend> HeadwiseLinear<B> {
    pub fn new(heads: usize, chunk: usize, rng: &mut StdRng, device: &B::Device) -> Self {
        let values = lecun_normal(rng, heads * chunk * chunk, chunk);
        Self { weight: Param::from_tensor(float_tensor(values, [heads, chunk, chunk], device)) }
    }

    /// All heads' matrices as one block-diagonal kernel, so that x·W applies each head's
    /// matrix to its own chunk in one dense matmul with a contiguous result.
    ///
    /// # Shapes
    /// - returns: (heads·chunk, heads·chunk)
    pub fn block_diagonal(&self) -> Tensor<B, 2> {
        let [heads, chunk, _] = self.weight.dims();
        let width = heads * chunk;
        let mut mask = vec![0.0; width * width];
        for row in 0..width {
            for column in (row / chunk) * chunk..(row / chunk + 1) * chunk {
                mask[row * width + column] = 1.0;
            }
        }
        let stacked = self.weight.val().reshape([width, chunk]).repeat_dim(1, heads); // (F, F)
        stacked * float_tensor::<B, 2>(mask, [width, width], &self.weight.device())
    }

    /// # Shapes
    /// - `x`: (n, heads·chunk)
    /// - returns: (n, heads·chunk)
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        x.matmul(self.block_diagonal())
    }
}

/// A (features, groups) matrix of ones that sums contiguous chunks of features per group
/// when multiplied from the right; its transpose repeats one value per group over its chunk.
pub fn chunk_sum_matrix<B: Backend>(features: usize, groups: usize, device: &B::Device) -> Tensor<B, 2> {
    let chunk = features / groups;
    let values = (0..features * groups)
        .map(|at| if (at / groups) / chunk == at % groups { 1.0 } else { 0.0 })
        .collect();
    float_tensor(values, [features, groups], device)
}

/// Layer normalisation over features with learnable scale and bias (ε = 1e-6).
#[derive(Module, Debug)]
pub struct FeatureNorm<B: Backend> {
    pub scale: Param<Tensor<B, 1>>,
    pub bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> FeatureNorm<B> {
    const EPSILON: f64 = 1e-6;

    pub fn new(features: usize, device: &B::Device) -> Self {
        Self {
            scale: Param::from_tensor(float_tensor(vec![1.0; features], [features], device)),
            bias: Param::from_tensor(float_tensor(vec![0.0; features], [features], device)),
        }
    }

    /// # Shapes
    /// - `x`: (n, F)
    /// - returns: (n, F)
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let centred = x.clone() - x.mean_dim(1);
        let variance = (centred.clone() * centred.clone()).mean_dim(1);
        let normalised = centred / variance.add_scalar(Self::EPSILON).sqrt();
        normalised * self.scale.val().unsqueeze_dim(0) + self.bias.val().unsqueeze_dim(0)
    }
}
