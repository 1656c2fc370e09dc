//! `so3krates train`.

use anyhow::{bail, Result};
use so3krates_core::backend::{CpuBackend, CpuF64Backend, DeviceKind};

use super::TrainArgs;
use crate::config::TrainConfig;
use crate::run_folder::RunFolder;
use crate::trainer::{train, StartMode, TrainOutcome};

/// Loads the config (file, --set, --run-dir) and trains on the chosen device.
pub fn run(args: &TrainArgs) -> Result<TrainOutcome> {
    let mut overrides = args.overrides.clone();
    if let Some(dir) = &args.run_dir {
        overrides.push(format!("run_dir={}", toml::Value::String(dir.display().to_string())));
    }
    let config = match (&args.config, &args.run_dir, args.resume) {
        (Some(path), _, _) => TrainConfig::load(path, &overrides)?,
        (None, Some(dir), true) => TrainConfig::load(&RunFolder::new(dir).config(), &overrides)?,
        _ => bail!("--config FILE is needed (or --resume --run-dir RUN to continue a run)"),
    };
    let mode = match (args.resume, args.overwrite) {
        (true, _) => StartMode::Resume,
        (false, true) => StartMode::Overwrite,
        (false, false) => StartMode::Fresh,
    };
    match args.device {
        DeviceKind::Cpu => train::<CpuBackend>(&config, mode, &Default::default()),
        DeviceKind::CpuF64 => train::<CpuF64Backend>(&config, mode, &Default::default()),
        #[cfg(feature = "wgpu")]
        DeviceKind::Wgpu => {
            use so3krates_core::backend::{ensure_device_usable, WgpuBackend};
            ensure_device_usable::<WgpuBackend>(args.device, &Default::default())?;
            train::<WgpuBackend>(&config, mode, &Default::default())
        }
        #[cfg(feature = "cuda")]
        DeviceKind::Cuda => {
            use so3krates_core::backend::{ensure_device_usable, CudaBackend};
            ensure_device_usable::<CudaBackend>(args.device, &Default::default())?;
            train::<CudaBackend>(&config, mode, &Default::default())
        }
        #[allow(unreachable_patterns)]
        other => bail!(
            "device {other} is not available: this build lacks the `{other}` feature; rebuild with \
             `cargo build --release -p so3krates-train --features {other}`"
        ),
    }
}
