//! Backends and run-time device selection.
//!
//! - `cpu` (default): burn's Flex backend, f32, SIMD and multi-threaded. Measured fastest
//!   on CPU (docs/benchmarks.md).
//! - `cpu-f64`: burn's NdArray backend in f64, for tight tolerances (tests, NVE checks).
//! - `wgpu`, `cuda`: GPU backends, compiled in with the cargo features of the same names.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::CoreError;
use crate::model::{ForcePredictor, Model};

/// The default CPU backend (f32).
pub type CpuBackend = burn::backend::Flex;
/// The f64 CPU backend.
pub type CpuF64Backend = burn::backend::NdArray<f64>;
/// The wgpu backend (Vulkan, Metal, DX12), f32.
#[cfg(feature = "wgpu")]
pub type WgpuBackend = burn::backend::Wgpu;
/// The CUDA backend, f32.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Cuda;

/// A device named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DeviceKind {
    #[default]
    Cpu,
    CpuF64,
    Wgpu,
    Cuda,
}

impl FromStr for DeviceKind {
    type Err = CoreError;

    fn from_str(name: &str) -> Result<Self, CoreError> {
        match name {
            "cpu" => Ok(Self::Cpu),
            "cpu-f64" => Ok(Self::CpuF64),
            "wgpu" => Ok(Self::Wgpu),
            "cuda" => Ok(Self::Cuda),
            other => Err(CoreError::DeviceUnavailable {
                device: other.to_string(),
                reason: "unknown device; choose cpu, cpu-f64, wgpu or cuda".to_string(),
            }),
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Cpu => "cpu",
            Self::CpuF64 => "cpu-f64",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        };
        f.write_str(name)
    }
}

#[cfg(not(all(feature = "wgpu", feature = "cuda")))]
fn not_compiled(device: DeviceKind, feature: &str) -> CoreError {
    CoreError::DeviceUnavailable {
        device: device.to_string(),
        reason: format!("this build lacks the `{feature}` feature; rebuild with `cargo build --release --features {feature}`"),
    }
}

/// Loads a model file as a predictor on the chosen device.
pub fn load_predictor(path: &Path, device: DeviceKind) -> Result<Box<dyn ForcePredictor>, CoreError> {
    match device {
        DeviceKind::Cpu => Ok(Box::new(Model::<CpuBackend>::load(path, &Default::default())?)),
        DeviceKind::CpuF64 => Ok(Box::new(Model::<CpuF64Backend>::load(path, &Default::default())?)),
        #[cfg(feature = "wgpu")]
        DeviceKind::Wgpu => Ok(Box::new(Model::<WgpuBackend>::load(path, &Default::default())?)),
        #[cfg(not(feature = "wgpu"))]
        DeviceKind::Wgpu => Err(not_compiled(device, "wgpu")),
        #[cfg(feature = "cuda")]
        DeviceKind::Cuda => Ok(Box::new(Model::<CudaBackend>::load(path, &Default::default())?)),
        #[cfg(not(feature = "cuda"))]
        DeviceKind::Cuda => Err(not_compiled(device, "cuda")),
    }
}
