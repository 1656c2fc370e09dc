//! The same weights give the same energies and forces on real MD17 ethanol frames in f32
//! (Flex, the default backend) and f64 (NdArray), within f32 precision.

mod common;

use common::*;
use so3krates_core::backend::{CpuBackend, CpuF64Backend};
use so3krates_core::io::{read_npz, LabelledStructure};
use so3krates_core::{Model, ModelConfig, Structure};

fn md17_frames(count: usize) -> Option<Vec<Structure>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/md17_ethanol_2000.npz");
    if !path.exists() {
        eprintln!("skipping: {} not found (CI places shared/ beside the clone)", path.display());
        return None;
    }
    let frames = read_npz(&path).expect("MD17 ethanol reads");
    Some(frames.into_iter().step_by(97).take(count).map(|f: LabelledStructure| f.structure).collect())
}

#[test]
fn f32_and_f64_backends_agree_on_md17_frames() {
    let Some(structures) = md17_frames(16) else { return };
    let config = ModelConfig::default();
    let single = Model::<CpuBackend>::new(config.clone(), &Default::default()).unwrap();
    let double = Model::<CpuF64Backend>::new(config, &Default::default()).unwrap();

    let p32 = single.energy_forces(&structures).unwrap();
    let p64 = double.energy_forces(&structures).unwrap();
    let mut worst_energy: f64 = 0.0;
    let mut worst_forces: f64 = 0.0;
    for (a, b) in p32.iter().zip(&p64) {
        worst_energy = worst_energy.max((a.energy - b.energy).abs() / b.energy.abs().max(1.0));
        worst_forces = worst_forces.max(max_force_difference(&a.forces, &b.forces) / force_scale(&b.forces));
    }
    eprintln!(
        "f32 vs f64 on 16 MD17 frames: energy {worst_energy:.2e}, forces {worst_forces:.2e} (relative)"
    );
    assert!(worst_energy < 1e-5, "energy differs by {worst_energy} (relative)");
    assert!(worst_forces < 1e-4, "forces differ by {worst_forces} (relative to the largest component)");
}
