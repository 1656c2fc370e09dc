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
use so3krates_core::{Model, ModelConfig};

mod common;
use common::{ethanol, ethanol_cluster};

fn bench_backend<B: burn::prelude::Backend>(c: &mut Criterion, name: &str) {
    let model = Model::<B>::new(ModelConfig::default(), &Default::default()).expect("default config");
    let mut group = c.benchmark_group(format!("energy_forces/{name}"));
    group.sample_size(20);

    let cases = [
        ("ethanol", vec![ethanol()]),
        ("ethanol_x32", vec![ethanol(); 32]),
        ("432_atoms", vec![ethanol_cluster()]),
    ];
    for (case, structures) in cases {
        let batch = Batch::from_structures(&structures, &ModelConfig::default()).expect("valid structures");
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
