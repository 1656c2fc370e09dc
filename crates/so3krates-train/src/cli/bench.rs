//! `so3krates bench`: throughput of the default-size model on a device, for comparing CPUs
//! and GPUs with one command (`benches/gpu.sh` runs it on every compiled-in GPU backend).
//!
//! Measures, with random weights of the reference model size (F=132, 3 layers):
//! - energy + forces of batches of ethanol frames (structures per second),
//! - energy + forces of one large structure of ethanol copies (atoms per second),
//! - force-training steps (energy + force loss, second-order backward, Adam) on batches of
//!   ethanol frames (steps per second).
//!
//! Each case runs once to warm up (kernel compilation and autotuning on GPUs), then as many
//! times as fit in `--seconds`.

use std::time::Instant;

use anyhow::{bail, Result};
use burn::backend::Autodiff;
use burn::optim::{AdamConfig, Optimizer};
use burn::prelude::Backend;
use so3krates_core::backend::{CpuBackend, CpuF64Backend, DeviceKind};
use so3krates_core::examples::ethanol;
use so3krates_core::graph::Batch;
use so3krates_core::network::So3krates;
use so3krates_core::training::{loss_and_gradients, LossWeights};
use so3krates_core::{Model, ModelConfig, Structure};

use super::BenchArgs;

/// One measured case.
#[derive(Clone, Debug)]
pub struct BenchResult {
    pub case: String,
    /// Calls timed after the warm-up.
    pub calls: usize,
    pub seconds_per_call: f64,
    /// What one call processes (structures, atoms or training steps) and its unit.
    pub items_per_call: f64,
    pub unit: &'static str,
}

impl BenchResult {
    pub fn throughput(&self) -> f64 {
        self.items_per_call / self.seconds_per_call
    }
}

/// Runs every case on `--device` and prints a line per case.
pub fn run(args: &BenchArgs) -> Result<Vec<BenchResult>> {
    if args.seconds.is_nan() || args.seconds <= 0.0 || args.batches.is_empty() || args.train_batch == 0 {
        bail!("--seconds must be positive, --batches non-empty and --train-batch at least 1");
    }
    eprintln!("bench: default model (F=132, 3 layers), random weights, on {}", args.device);
    let results = match args.device {
        DeviceKind::Cpu => bench_on::<CpuBackend>(args, &Default::default())?,
        DeviceKind::CpuF64 => bench_on::<CpuF64Backend>(args, &Default::default())?,
        #[cfg(feature = "wgpu")]
        DeviceKind::Wgpu => {
            use so3krates_core::backend::{ensure_device_usable, WgpuBackend};
            ensure_device_usable::<WgpuBackend>(args.device, &Default::default())?;
            bench_on::<WgpuBackend>(args, &Default::default())?
        }
        #[cfg(feature = "cuda")]
        DeviceKind::Cuda => {
            use so3krates_core::backend::{ensure_device_usable, CudaBackend};
            ensure_device_usable::<CudaBackend>(args.device, &Default::default())?;
            bench_on::<CudaBackend>(args, &Default::default())?
        }
        #[allow(unreachable_patterns)]
        other => bail!(
            "device {other} is not available: this build lacks the `{other}` feature; rebuild with \
             `cargo build --release -p so3krates-train --features {other}`"
        ),
    };
    Ok(results)
}

fn bench_on<B: Backend>(args: &BenchArgs, device: &B::Device) -> Result<Vec<BenchResult>> {
    let config = ModelConfig::default();
    let model = Model::<B>::new(config.clone(), device)?;
    let mut results = Vec::new();

    for &batch_size in &args.batches {
        let structures = ethanol_frames(batch_size);
        let result = time_case(
            format!("energy+forces, ethanol batch {batch_size}"),
            args.seconds,
            batch_size as f64,
            "structures/s",
            || model.energy_forces(&structures).map(|_| ()),
        )?;
        report(&result);
        results.push(result);
    }

    if args.large_atoms > 0 {
        let large = ethanol_block(args.large_atoms);
        let atoms = large.len();
        let result = time_case(
            format!("energy+forces, one structure of {atoms} atoms"),
            args.seconds,
            atoms as f64,
            "atoms/s",
            || model.energy_forces(std::slice::from_ref(&large)).map(|_| ()),
        )?;
        report(&result);
        results.push(result);
    }

    let structures = ethanol_frames(args.train_batch);
    let batch = Batch::from_structures(&structures, &config)?;
    let mut network = So3krates::<Autodiff<B>>::new(&config, device);
    let mut optimizer = AdamConfig::new().init();
    let target_energies = vec![0.0; batch.n_structures()];
    let target_forces = vec![0.0; batch.n_atoms() * 3];
    let result = time_case(
        format!("training step, ethanol batch {}", args.train_batch),
        args.seconds,
        1.0,
        "steps/s",
        || {
            let (value, gradients) = loss_and_gradients(
                &network,
                &batch,
                &target_energies,
                &target_forces,
                LossWeights::default(),
                device,
            );
            network = optimizer.step(1e-4, network.clone(), gradients);
            if value.is_finite() {
                Ok(())
            } else {
                Err(so3krates_core::CoreError::Numerical(format!("training loss {value}")))
            }
        },
    )?;
    report(&result);
    results.push(result);
    Ok(results)
}

/// One warm-up call, then calls until `seconds` have passed (at least one).
fn time_case(
    case: String,
    seconds: f64,
    items_per_call: f64,
    unit: &'static str,
    mut call: impl FnMut() -> Result<(), so3krates_core::CoreError>,
) -> Result<BenchResult> {
    let warm_up = Instant::now();
    call()?;
    eprintln!("bench: {case}: warm-up call {:.3} s", warm_up.elapsed().as_secs_f64());
    let started = Instant::now();
    let mut calls = 0;
    while calls == 0 || started.elapsed().as_secs_f64() < seconds {
        call()?;
        calls += 1;
    }
    let seconds_per_call = started.elapsed().as_secs_f64() / calls as f64;
    Ok(BenchResult { case, calls, seconds_per_call, items_per_call, unit })
}

fn report(result: &BenchResult) {
    println!(
        "{:<48} {:>12.1} {:<13} ({:.3} ms per call, {} calls)",
        result.case,
        result.throughput(),
        result.unit,
        result.seconds_per_call * 1e3,
        result.calls
    );
}

/// `count` ethanol molecules, each slightly displaced (a deterministic wobble of up to
/// 0.05 Å), so that a batch is not `count` copies of one geometry.
fn ethanol_frames(count: usize) -> Vec<Structure> {
    let base = ethanol();
    (0..count)
        .map(|k| {
            let mut frame = base.clone();
            for (i, position) in frame.positions.iter_mut().enumerate() {
                for (c, x) in position.iter_mut().enumerate() {
                    *x += 0.05 * ((k * 31 + i * 7 + c * 3) as f64).sin();
                }
            }
            frame
        })
        .collect()
}

/// Ethanol copies on a cubic grid of 7.1 Å pitch (3 Å between molecules), at least
/// `min_atoms` atoms.
fn ethanol_block(min_atoms: usize) -> Structure {
    let single = ethanol();
    let copies = min_atoms.div_ceil(single.len());
    let side = (copies as f64).cbrt().ceil() as usize;
    let mut block = Structure::molecule(vec![], vec![]);
    for k in 0..copies {
        let offset =
            [(k % side) as f64 * 7.1, ((k / side) % side) as f64 * 7.1, (k / (side * side)) as f64 * 7.1];
        block.numbers.extend(&single.numbers);
        block
            .positions
            .extend(single.positions.iter().map(|r| [r[0] + offset[0], r[1] + offset[1], r[2] + offset[2]]));
    }
    block
}
