//! Moving host data (f64, indices) onto a backend with that backend's element types.
//!
//! Tensors are always created with an explicit dtype: burn 0.21 otherwise takes the dtype
//! from a per-device setting that the first tensor created on that device fixes.

use burn::prelude::*;
use burn::tensor::{Element, TensorData};

/// A float tensor of shape `shape` from f64 values, in the backend's float type.
pub fn float_tensor<B: Backend, const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    let data = TensorData::new(values, shape).convert::<B::FloatElem>();
    Tensor::from_data(data, (device, <B::FloatElem as Element>::dtype()))
}

/// An index tensor of shape (n,) in the backend's integer type.
pub fn index_tensor<B: Backend>(values: Vec<i64>, device: &B::Device) -> Tensor<B, 1, Int> {
    let n = values.len();
    let data = TensorData::new(values, [n]).convert::<B::IntElem>();
    Tensor::from_data(data, (device, <B::IntElem as Element>::dtype()))
}

/// A float tensor of zeros in the backend's float type.
pub fn zeros<B: Backend, const D: usize>(shape: [usize; D], device: &B::Device) -> Tensor<B, D> {
    Tensor::zeros(shape, (device, <B::FloatElem as Element>::dtype()))
}

/// Reads a float tensor back as f64 values (row-major).
///
/// Returns an empty vector if the backend's data cannot be converted; callers check the
/// length against the shape they expect.
pub fn to_f64_vec<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    let data = tensor.into_data().convert::<f64>();
    data.to_vec::<f64>().unwrap_or_default()
}
