//! Prints, per layer, how many of the far pairs' (beyond the cutoff) non-local gates are open
//! and their mean, for a trained non-local model on labelled or unlabelled structures.
//!
//! ```text
//! cargo run --release -p so3krates-core --example gate_statistics -- runs/far-dimers-dynamic/best.so3krates runs/data/far_dimers.xyz 200
//! ```

use std::path::PathBuf;

use so3krates_core::backend::CpuBackend;
use so3krates_core::io::{read_structures, ExtxyzKeys};
use so3krates_core::nonlocal::far_gate_statistics;
use so3krates_core::Model;

fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [model, data, rest @ ..] = arguments.as_slice() else {
        anyhow::bail!("usage: gate_statistics MODEL_FILE DATA_FILE [MAX_FRAMES]");
    };
    let max_frames: usize = rest.first().map(|n| n.parse()).transpose()?.unwrap_or(200);

    let device = Default::default();
    let model = Model::<CpuBackend>::load(&PathBuf::from(model), &device)?;
    let frames = read_structures(&PathBuf::from(data), &ExtxyzKeys::default())?;
    let structures: Vec<_> = frames.into_iter().take(max_frames).map(|f| f.structure).collect();

    let statistics = far_gate_statistics(&model.network(), &model.metadata().config, &structures, &device)?;
    println!("{} structures from {data}", structures.len());
    for layer in statistics {
        println!(
            "layer {}: {} far directed pairs, {:.1} % open, mean gate {:.4}",
            layer.layer + 1,
            layer.far_pairs,
            100.0 * layer.open_fraction,
            layer.mean_gate
        );
    }
    Ok(())
}
