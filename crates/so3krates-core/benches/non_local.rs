//! What the non-local SPHC-space attention costs: energy + forces of the default model (F=132,
//! 3 layers, r_cut 5 Å) on Flex f32 with and without the switch (dynamic rule), for 9, 50 and
//! 200 atoms in open space.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo bench -p so3krates-core --bench non_local
//! ```
//! 9 atoms: ethanol. 50 and 200: the first atoms of the 432-atom ethanol grid (molecules 3 Å
//! apart), so most pairs of the all-pairs list lie beyond the cutoff.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use so3krates_core::backend::CpuBackend;
use so3krates_core::config::{NonLocalConfig, NonLocalMode};
use so3krates_core::{Model, ModelConfig, Structure};

mod common;
use common::{ethanol, ethanol_cluster};

fn first_atoms(structure: &Structure, count: usize) -> Structure {
    Structure::molecule(structure.numbers[..count].to_vec(), structure.positions[..count].to_vec())
}

fn non_local(c: &mut Criterion) {
    let cluster = ethanol_cluster();
    let cases = [ethanol(), first_atoms(&cluster, 50), first_atoms(&cluster, 200)];
    let switches = [
        ("local", NonLocalConfig::default()),
        ("non_local_dynamic", NonLocalConfig { mode: NonLocalMode::Dynamic, ..NonLocalConfig::default() }),
    ];

    let mut group = c.benchmark_group("non_local/flex-f32");
    group.sample_size(10);
    for (name, switch) in switches {
        let config = ModelConfig { non_local: switch, sphc_init_normalised: true, ..ModelConfig::default() };
        let model = Model::<CpuBackend>::new(config, &Default::default()).expect("valid config");
        for structure in &cases {
            let atoms = structure.len();
            group.bench_function(BenchmarkId::new(name, format!("{atoms}_atoms")), |bench| {
                bench.iter(|| model.energy_forces(std::slice::from_ref(structure)).expect("prediction"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, non_local);
criterion_main!(benches);
