//! The wgpu backend computes what the CPU backends compute, and force training runs on it.
//!
//! Built with `--features wgpu`: `cargo test -p so3krates-core --features wgpu --test
//! wgpu_backend`. Without a GPU they run on lavapipe, Mesa's software Vulkan device
//! (`apt-get install mesa-vulkan-drivers`), which `.ci/run` installs: about 25 s for both
//! tests on 2 cores (small model, 8 frames). Where no Vulkan device exists they are skipped
//! with a message, except under CI (`CI` set), where that is a failure.
#![cfg(feature = "wgpu")]

mod common;

use std::time::Instant;

use burn::backend::Autodiff;
use burn::optim::{AdamConfig, Optimizer};
use common::*;
use so3krates_core::backend::{ensure_device_usable, CpuBackend, CpuF64Backend, DeviceKind, WgpuBackend};
use so3krates_core::graph::Batch;
use so3krates_core::io::{read_extxyz, ExtxyzKeys, LabelledStructure};
use so3krates_core::network::So3krates;
use so3krates_core::training::{loss_and_gradients, LossWeights};
use so3krates_core::Model;

fn vulkan_available() -> bool {
    match ensure_device_usable::<WgpuBackend>(DeviceKind::Wgpu, &Default::default()) {
        Ok(()) => true,
        Err(error) => {
            assert!(std::env::var_os("CI").is_none(), "CI installs a Vulkan device: {error}");
            println!("skipped: {error}");
            false
        }
    }
}

/// Frames of the shipped GFN2-xTB ethanol trajectory, with their labels (eV, eV/Å).
fn shipped_frames(count: usize) -> Vec<LabelledStructure> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ethanol_gfn2_500K.xyz");
    let frames = read_extxyz(&path, &ExtxyzKeys::default()).expect("the shipped data reads");
    frames.into_iter().step_by(37).take(count).collect()
}

#[test]
fn wgpu_agrees_with_the_cpu_backends_on_a_batch_of_ethanol_frames() {
    if !vulkan_available() {
        return;
    }
    let structures: Vec<_> = shipped_frames(8).into_iter().map(|f| f.structure).collect();
    let config = small_config();
    let gpu = Model::<WgpuBackend>::new(config.clone(), &Default::default()).unwrap();
    let cpu = Model::<CpuBackend>::new(config.clone(), &Default::default()).unwrap();
    let reference = Model::<CpuF64Backend>::new(config, &Default::default()).unwrap();

    let started = Instant::now();
    let on_gpu = gpu.energy_forces(&structures).unwrap();
    let first_call = started.elapsed();
    let started = Instant::now();
    gpu.energy_forces(&structures).unwrap();
    let second_call = started.elapsed();
    let on_cpu = cpu.energy_forces(&structures).unwrap();
    let in_f64 = reference.energy_forces(&structures).unwrap();

    let (mut energy_vs_cpu, mut forces_vs_cpu, mut energy_vs_f64, mut forces_vs_f64) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for ((g, c), d) in on_gpu.iter().zip(&on_cpu).zip(&in_f64) {
        energy_vs_cpu = energy_vs_cpu.max((g.energy - c.energy).abs() / c.energy.abs().max(1.0));
        forces_vs_cpu =
            forces_vs_cpu.max(max_force_difference(&g.forces, &c.forces) / force_scale(&c.forces));
        energy_vs_f64 = energy_vs_f64.max((g.energy - d.energy).abs() / d.energy.abs().max(1.0));
        forces_vs_f64 =
            forces_vs_f64.max(max_force_difference(&g.forces, &d.forces) / force_scale(&d.forces));
    }
    println!(
        "wgpu vs Flex f32 on 8 ethanol frames: energy {energy_vs_cpu:.2e}, forces {forces_vs_cpu:.2e}; \
         vs NdArray f64: energy {energy_vs_f64:.2e}, forces {forces_vs_f64:.2e} (relative); \
         batch of 8: first call {:.2} s (shader compilation), second {:.3} s",
        first_call.as_secs_f64(),
        second_call.as_secs_f64()
    );
    assert!(energy_vs_cpu < 1e-5 && energy_vs_f64 < 1e-5, "energies differ");
    assert!(forces_vs_cpu < 1e-4 && forces_vs_f64 < 1e-4, "forces differ");
}

/// Force-training losses over 8 Adam steps (learning rate 3e-3) on 8 shipped frames, the
/// small model and backend `B`.
fn training_losses<B: burn::tensor::backend::Backend>(device: &B::Device) -> Vec<f64> {
    let frames = shipped_frames(8);
    let structures: Vec<_> = frames.iter().map(|f| f.structure.clone()).collect();
    let batch = Batch::from_structures(&structures, &small_config()).unwrap();
    // Energies relative to the batch mean, so that the loss is about the forces' shape.
    let energies: Vec<f64> = frames.iter().map(|f| f.energy.unwrap()).collect();
    let mean = energies.iter().sum::<f64>() / energies.len() as f64;
    let target_energies: Vec<f64> = energies.iter().map(|e| e - mean).collect();
    let target_forces: Vec<f64> = frames.iter().flat_map(|f| f.forces.clone().unwrap()).flatten().collect();

    let mut network = So3krates::<Autodiff<B>>::new(&small_config(), device);
    let mut optimizer = AdamConfig::new().init();
    let mut losses = Vec::new();
    for _ in 0..8 {
        let (loss, gradients) = loss_and_gradients(
            &network,
            &batch,
            &target_energies,
            &target_forces,
            LossWeights::default(),
            device,
        );
        losses.push(loss);
        network = optimizer.step(3e-3, network, gradients);
    }
    losses
}

#[test]
fn force_training_steps_on_wgpu_follow_the_cpu_and_lower_the_loss() {
    if !vulkan_available() {
        return;
    }
    let started = Instant::now();
    let on_gpu = training_losses::<WgpuBackend>(&Default::default());
    let gpu_time = started.elapsed();
    let on_cpu = training_losses::<CpuBackend>(&Default::default());
    println!(
        "force-training loss over 8 Adam steps: wgpu {on_gpu:.5?} ({gpu_time:.1?}), Flex f32 {on_cpu:.5?}"
    );

    assert!(on_gpu.iter().all(|l| l.is_finite()), "{on_gpu:?}");
    for (step, (gpu, cpu)) in on_gpu.iter().zip(&on_cpu).enumerate() {
        assert!((gpu - cpu).abs() < 1e-3 * cpu, "step {step}: wgpu loss {gpu}, CPU loss {cpu}");
    }
    assert!(on_gpu[7] < 0.98 * on_gpu[0], "the loss did not fall: {on_gpu:?}");
}
