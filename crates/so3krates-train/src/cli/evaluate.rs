//! `so3krates evaluate`: energy and force errors of a model on labelled data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use so3krates_core::backend::load_predictor;
use so3krates_core::io::ExtxyzKeys;
use so3krates_core::model_file::write_atomically;

use super::{EvaluateArgs, SplitArg};
use crate::config::TrainConfig;
use crate::dataset::Dataset;
use crate::evaluation::{ErrorAccumulator, ErrorMetrics};
use crate::run_folder::{resolve_model, RunFolder};
use crate::splits::{SplitName, Splits};

/// The result of `evaluate`.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// "test", "valid", "train" or "all".
    pub split: &'static str,
    pub metrics: ErrorMetrics,
    pub energy_unit: String,
}

/// Evaluates, prints `<split>: E MAE … (n structures)` and returns the numbers.
pub fn run(args: &EvaluateArgs) -> Result<Evaluation> {
    let (model_path, run) = resolve_model(&args.model)?;
    let run_config = match &run {
        Some(run) if run.config().is_file() => Some(TrainConfig::load(&run.config(), &[])?),
        _ => None,
    };

    let data_path: PathBuf = match (&args.data, &run_config) {
        (Some(path), _) => path.clone(),
        (None, Some(config)) => config.data.path.clone(),
        (None, None) => bail!("--data FILE is needed (the model is not in a run folder with a config)"),
    };
    let default_keys = run_config.as_ref().map(|c| c.data.extxyz_keys()).unwrap_or_default();
    let keys = ExtxyzKeys::new(
        args.energy_key.as_deref().unwrap_or(&default_keys.energy),
        args.forces_key.as_deref().unwrap_or(&default_keys.forces),
        &default_keys.stress,
    );
    let dataset = Dataset::read(&data_path, &keys)?;
    let (split, indices) = select_frames(args.split, run.as_ref(), &data_path, dataset.frames.len())?;

    let predictor = load_predictor(&model_path, args.device)?;
    let energy_unit = predictor.units().energy;
    let mut accumulator = ErrorAccumulator::default();
    let mut table =
        String::from("frame,n_atoms,energy_reference,energy_predicted,energy_error,forces_mae,forces_rmse\n");
    for chunk in indices.chunks(args.batch_size.max(1)) {
        let structures: Vec<_> = chunk.iter().map(|&i| dataset.frames[i].structure.clone()).collect();
        let predictions = predictor.predict(&structures, false).with_context(|| {
            format!("predicting frames {}..={} of {}", chunk[0], chunk[chunk.len() - 1], data_path.display())
        })?;
        for (&index, prediction) in chunk.iter().zip(&predictions) {
            let frame = &dataset.frames[index];
            accumulator.add(prediction, frame.energy, frame.forces.as_deref());
            let mut one = ErrorAccumulator::default();
            one.add(prediction, frame.energy, frame.forces.as_deref());
            let m = one.finish(Default::default());
            let reference = frame.energy.unwrap_or(f64::NAN);
            let _ = writeln!(
                table,
                "{index},{},{reference:?},{:?},{:?},{:e},{:e}",
                frame.structure.len(),
                prediction.energy,
                prediction.energy - reference,
                m.forces_mae,
                m.forces_rmse
            );
        }
    }
    let loss_weights = run_config.as_ref().map(|c| c.training.loss_weights()).unwrap_or_default();
    let metrics = accumulator.finish(loss_weights);
    if let Some(path) = &args.per_structure {
        write_atomically(path, table.as_bytes())?;
    }
    println!("{split}: {}", metrics.describe(&energy_unit));
    Ok(Evaluation { split, metrics, energy_unit })
}

/// The frames to evaluate: a split of the run (if the data file is the run's) or all.
fn select_frames(
    split: Option<SplitArg>,
    run: Option<&RunFolder>,
    data_path: &Path,
    n_frames: usize,
) -> Result<(&'static str, Vec<usize>)> {
    let splits = match run {
        Some(run) if run.dir.join(crate::splits::SPLITS_FILE).is_file() => {
            let splits = Splits::load(&run.dir)?;
            let same_file = same_file(Path::new(&splits.data_path), data_path);
            same_file.then_some(splits)
        }
        _ => None,
    };
    let name = match (split, &splits) {
        (Some(SplitArg::All), _) | (None, None) => return Ok(("all", (0..n_frames).collect())),
        (None, Some(_)) | (Some(SplitArg::Test), _) => SplitName::Test,
        (Some(SplitArg::Valid), _) => SplitName::Valid,
        (Some(SplitArg::Train), _) => SplitName::Train,
    };
    let Some(splits) = splits else {
        bail!(
            "--split needs --model to be a run folder whose splits.json refers to {} (use --split all)",
            data_path.display()
        );
    };
    if splits.n_frames != n_frames {
        bail!(
            "{} has {n_frames} frames, but the run's splits.json was drawn for {}",
            data_path.display(),
            splits.n_frames
        );
    }
    let label = match name {
        SplitName::Test => "test",
        SplitName::Valid => "valid",
        SplitName::Train => "train",
    };
    Ok((label, splits.get(name).to_vec()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
