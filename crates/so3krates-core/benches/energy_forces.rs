//! Energy + forces of the default model (F=132, 3 layers), the cost of MD and inference.
//!
//! Run (threads are rayon's, fixed per process):
//! ```text
//! RAYON_NUM_THREADS=1 cargo bench -p so3krates-core --bench energy_forces
//! RAYON_NUM_THREADS=2 cargo bench -p so3krates-core --bench energy_forces
//! ```
//! Cases: ethanol at batch 1 and 32, and 432 atoms (48 ethanol copies on a 4×4×3 grid,
//! 3 Å apart between molecules), on Flex f32 (the default CPU backend) and NdArray f64.
//! Neighbour lists are built outside the timed loop for the batched cases, as in training;
//! `with_neighbour_list` includes them, as in MD.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use so3krates_core::backend::{CpuBackend, CpuF64Backend};
use so3krates_core::graph::Batch;
use so3krates_core::{Model, ModelConfig, Structure};

/// The first MD17 ethanol frame (Å).
fn ethanol() -> Structure {
    Structure::molecule(
        vec![6, 6, 8, 1, 1, 1, 1, 1, 1],
        vec![
            [0.0072, -0.5687, 0.0],
            [-1.2854, 0.2499, 0.0],
            [1.1304, 0.3147, 0.0],
            [0.0392, -1.1972, 0.8900],
            [0.0392, -1.1972, -0.8900],
            [-1.3175, 0.8784, 0.8900],
            [-1.3175, 0.8784, -0.8900],
            [-2.1422, -0.4239, 0.0],
            [1.9857, -0.1365, 0.0],
        ],
    )
}

/// 48 ethanol copies on a 4×4×3 grid; ethanol spans ~4.1 Å, so a 7.1 Å pitch leaves
/// 3 Å between neighbouring molecules. 432 atoms.
fn ethanol_cluster() -> Structure {
    let single = ethanol();
    let mut cluster = Structure::molecule(vec![], vec![]);
    for (a, b, c) in (0..4).flat_map(|a| (0..4).flat_map(move |b| (0..3).map(move |c| (a, b, c)))) {
        let offset = [a as f64 * 7.1, b as f64 * 7.1, c as f64 * 7.1];
        cluster.numbers.extend(&single.numbers);
        cluster.positions.extend(single.positions.iter().map(|r| [r[0] + offset[0], r[1] + offset[1], r[2] + offset[2]]));
    }
    cluster
}

fn bench_backend<B: burn::prelude::Backend>(c: &mut Criterion, name: &str) {
    let model = Model::<B>::new(ModelConfig::default(), &Default::default()).expect("default config");
    let cutoff = ModelConfig::default().cutoff_angstrom;
    let mut group = c.benchmark_group(format!("energy_forces/{name}"));
    group.sample_size(20);

    let cases = [("ethanol", vec![ethanol()]), ("ethanol_x32", vec![ethanol(); 32]), ("432_atoms", vec![ethanol_cluster()])];
    for (case, structures) in cases {
        let batch = Batch::from_structures(&structures, cutoff).expect("valid structures");
        let shifts = vec![0.0; structures.len()];
        let volumes = vec![None; structures.len()];
        group.throughput(Throughput::Elements(structures.len() as u64));
        group.bench_function(BenchmarkId::new("prepared_batch", case), |bench| {
            bench.iter(|| model.predict_batch(&batch, &shifts, &volumes, false).expect("prediction"))
        });
        if structures.len() == 1 {
            group.bench_function(BenchmarkId::new("with_neighbour_list", case), |bench| {
                bench.iter(|| model.energy_forces(&structures).expect("prediction"))
            });
        }
    }
    group.finish();
}

fn energy_forces(c: &mut Criterion) {
    bench_backend::<CpuBackend>(c, "flex-f32");
    bench_backend::<CpuF64Backend>(c, "ndarray-f64");
}

criterion_group!(benches, energy_forces);
criterion_main!(benches);
