//! Cost of one MD step (velocity Verlet: neighbour list, energy and forces, two kicks and a
//! drift) with the default model (F=132, 3 layers) on Flex f32, for ethanol and for 432 atoms
//! (48 ethanol copies 3 Å apart). Each iteration steps a copy of the same starting state.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo bench -p so3krates-md --bench md_step
//! ```

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use so3krates_core::backend::CpuBackend;
use so3krates_core::{Model, ModelConfig};
use so3krates_md::{Integrator, MdState, Potential, VelocityVerlet};

#[path = "../../so3krates-core/benches/common/mod.rs"]
mod common;
use common::{ethanol, ethanol_cluster};

fn md_step(c: &mut Criterion) {
    let model =
        Model::<CpuBackend>::new(ModelConfig::default(), &Default::default()).expect("default config");
    let potential = Potential::new(&model).expect("eV model");
    let mut group = c.benchmark_group("md_step/flex-f32");
    group.sample_size(20);

    for (case, structure) in [("ethanol", ethanol()), ("432_atoms", ethanol_cluster())] {
        let start = MdState::at_rest(structure, &potential).expect("valid structure");
        let mut integrator = VelocityVerlet::new(0.5).expect("valid time step");
        group.bench_function(case, |bench| {
            bench.iter_batched(
                || start.clone(),
                |mut state| integrator.step(&mut state, &potential).expect("step"),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, md_step);
criterion_main!(benches);
