//! `so3krates relax`: FIRE geometry relaxation with a trained model.

use anyhow::{Context, Result};
use so3krates_core::backend::load_predictor;
use so3krates_core::io::{write_extxyz, LabelledStructure};
use so3krates_core::model_file::write_atomically;
use so3krates_md::output::TrajectoryWriter;
use so3krates_md::{relax_fire, FireSettings, Potential, Relaxation};

use super::structure_file::read_frame;
use super::RelaxArgs;
use crate::run_folder::resolve_model;

/// Relaxes the structure, writes it to `--output` and prints the energies.
pub fn run(args: &RelaxArgs) -> Result<Relaxation> {
    let (model_path, _) = resolve_model(&args.model)?;
    let structure = read_frame(&args.structure, args.frame)?;
    let predictor = load_predictor(&model_path, args.device)?;
    let potential = Potential::new(predictor.as_ref())?;
    let settings = FireSettings {
        fmax_ev_per_angstrom: args.fmax,
        max_steps: args.max_steps,
        ..FireSettings::default()
    };

    let mut trajectory = args.trajectory.as_deref().map(TrajectoryWriter::create).transpose()?;
    let relaxation =
        relax_fire(structure, &potential, &settings, |structure, energy, forces| match &mut trajectory {
            Some(writer) => writer.write(structure, energy, forces),
            None => Ok(()),
        })
        .with_context(|| format!("relaxing {} frame {}", args.structure.display(), args.frame))?;

    let relaxed = LabelledStructure {
        structure: relaxation.structure.clone(),
        energy: Some(relaxation.energy_ev),
        forces: Some(relaxation.forces_ev_per_angstrom.clone()),
        stress: None,
    };
    let mut bytes = Vec::new();
    write_extxyz(&mut bytes, &[relaxed])
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    write_atomically(&args.output, &bytes)?;

    eprintln!(
        "relax: {} after {} steps: E {:.6} → {:.6} eV, max force {:.4} eV/Å (threshold {}); wrote {}",
        if relaxation.converged { "converged" } else { "NOT converged" },
        relaxation.steps,
        relaxation.initial_energy_ev,
        relaxation.energy_ev,
        relaxation.fmax_ev_per_angstrom,
        args.fmax,
        args.output.display()
    );
    Ok(relaxation)
}
