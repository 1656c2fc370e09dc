//! Times forward and forward+backward passes: `cargo run --release --example profile`.
use std::time::Instant;

use burn::backend::Autodiff;
use burn::prelude::*;
use so3krates_core::backend::{CpuBackend, CpuF64Backend};
use so3krates_core::graph::Batch;
use so3krates_core::network::So3krates;
use so3krates_core::{ModelConfig, Structure};

fn ethanol() -> Structure {
    Structure::molecule(
        vec![6, 6, 8, 1, 1, 1, 1, 1, 1],
        vec![
            [0.0072, -0.5687, 0.0], [-1.2854, 0.2499, 0.0], [1.1304, 0.3147, 0.0],
            [0.0392, -1.1972, 0.8900], [0.0392, -1.1972, -0.8900], [-1.3175, 0.8784, 0.8900],
            [-1.3175, 0.8784, -0.8900], [-2.1422, -0.4239, 0.0], [1.9857, -0.1365, 0.0],
        ],
    )
}

fn time<B: Backend>(name: &str, copies: usize) {
    let device = Default::default();
    let config = ModelConfig::default();
    let batch = Batch::from_structures(&vec![ethanol(); copies], 5.0).unwrap();
    let plain = So3krates::<B>::new(&config, &device);
    let graph = batch.to_tensors::<B>(&device);
    let n = 20;
    let start = Instant::now();
    for _ in 0..n {
        let e = plain.forward(batch.positions_tensor::<B>(&device), None, &graph);
        let _ = e.into_data();
    }
    let forward = start.elapsed().as_secs_f64() / n as f64 * 1e3;

    let ad = So3krates::<Autodiff<B>>::new(&config, &device);
    let graph = batch.to_tensors::<Autodiff<B>>(&device);
    let start = Instant::now();
    for _ in 0..n {
        let p = batch.positions_tensor::<Autodiff<B>>(&device).require_grad();
        let e = ad.forward(p.clone(), None, &graph);
        let _ = e.clone().into_data();
        let start_b = Instant::now();
        let g = e.sum().backward();
        let _ = p.grad(&g).unwrap().into_data();
        let _ = start_b;
    }
    let both = start.elapsed().as_secs_f64() / n as f64 * 1e3;
    println!("{name} x{copies}: forward {forward:.2} ms, autodiff forward+backward {both:.2} ms");
}

fn main() {
    for copies in [1, 32] {
        time::<CpuBackend>("flex-f32", copies);
        time::<CpuF64Backend>("ndarray-f64", copies);
    }
}
