//! `so3krates predict`: energies and forces of structures, as extended XYZ.

use anyhow::{Context, Result};
use so3krates_core::backend::load_predictor;
use so3krates_core::io::{read_structures, write_extxyz, ExtxyzKeys, LabelledStructure};
use so3krates_core::model_file::write_atomically;

use super::PredictArgs;
use crate::run_folder::resolve_model;

/// Predicts every structure of `--input` and writes `--output` atomically. Returns the
/// number of structures.
pub fn run(args: &PredictArgs) -> Result<usize> {
    let (model_path, _) = resolve_model(&args.model)?;
    let frames = read_structures(&args.input, &ExtxyzKeys::default())
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let predictor = load_predictor(&model_path, args.device)?;
    let units = predictor.units();

    let mut labelled = Vec::with_capacity(frames.len());
    for (chunk_index, chunk) in frames.chunks(args.batch_size.max(1)).enumerate() {
        let structures: Vec<_> = chunk.iter().map(|f| f.structure.clone()).collect();
        let first = chunk_index * args.batch_size.max(1);
        let predictions = predictor
            .predict(&structures, args.stress)
            .with_context(|| format!("{}: frames {first}..{}", args.input.display(), first + chunk.len()))?;
        for (structure, prediction) in structures.into_iter().zip(predictions) {
            labelled.push(LabelledStructure {
                structure,
                energy: Some(prediction.energy),
                forces: Some(prediction.forces),
                stress: prediction.stress,
            });
        }
    }

    let mut bytes = Vec::new();
    write_extxyz(&mut bytes, &labelled).with_context(|| format!("cannot write {}", args.output.display()))?;
    write_atomically(&args.output, &bytes)?;
    eprintln!(
        "wrote {} structures to {} (energy in {}, forces in {}/{}{})",
        labelled.len(),
        args.output.display(),
        units.energy,
        units.energy,
        units.length,
        if units.energy == "eV" { "" } else { "; note that ASE assumes eV" }
    );
    Ok(labelled.len())
}
