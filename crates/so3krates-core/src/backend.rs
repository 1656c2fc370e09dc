//! Backends and run-time device selection.
//!
//! - `cpu` (default): burn's Flex backend, f32, SIMD and multi-threaded. Measured fastest
//!   on CPU (docs/benchmarks.md).
//! - `cpu-f64`: burn's NdArray backend in f64, for tight tolerances (tests, NVE checks).
//! - `wgpu`, `cuda`: GPU backends, compiled in with the cargo features of the same names.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use burn::tensor::ElementConversion;

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
        DeviceKind::Wgpu => {
            ensure_device_usable::<WgpuBackend>(device, &Default::default())?;
            Ok(Box::new(Model::<WgpuBackend>::load(path, &Default::default())?))
        }
        #[cfg(not(feature = "wgpu"))]
        DeviceKind::Wgpu => Err(not_compiled(device, "wgpu")),
        #[cfg(feature = "cuda")]
        DeviceKind::Cuda => {
            ensure_device_usable::<CudaBackend>(device, &Default::default())?;
            Ok(Box::new(Model::<CudaBackend>::load(path, &Default::default())?))
        }
        #[cfg(not(feature = "cuda"))]
        DeviceKind::Cuda => Err(not_compiled(device, "cuda")),
    }
}

/// Runs one tiny kernel on `device` and reports a device that cannot run it as an error.
///
/// Burn's GPU runtimes panic on first use when there is no adapter (wgpu) or no driver or
/// GPU (CUDA); this turns that panic into [`CoreError::DeviceUnavailable`] naming what is
/// missing and how to get it. CPU backends always pass. The process's panic hook is
/// silenced while the kernel runs, so call it before starting other threads.
pub fn ensure_device_usable<B: burn::tensor::backend::Backend>(
    kind: DeviceKind,
    device: &B::Device,
) -> Result<(), CoreError> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let probe = burn::tensor::Tensor::<B, 1>::from_floats([1.0, 2.0], device);
        probe.sum().into_scalar().elem::<f64>()
    }));
    std::panic::set_hook(hook);

    let message = match outcome {
        Ok(3.0) => return Ok(()),
        Ok(sum) => format!("a test sum 1 + 2 gave {sum}"),
        Err(panic) => panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the backend panicked".to_string()),
    };
    let hint = match kind {
        DeviceKind::Wgpu => {
            "no usable GPU adapter (Vulkan, Metal or DX12). Without a GPU on Linux, a software Vulkan \
             device serves: `apt-get install mesa-vulkan-drivers`"
        }
        DeviceKind::Cuda => {
            "no CUDA GPU or driver. Install the NVIDIA driver (the CUDA toolkit is not needed)"
        }
        DeviceKind::Cpu | DeviceKind::CpuF64 => "the CPU backend failed",
    };
    Err(CoreError::DeviceUnavailable { device: kind.to_string(), reason: format!("{hint} ({message})") })
}
