//! `so3krates md`: molecular dynamics with a trained model.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use so3krates_core::backend::load_predictor;
use so3krates_md::integrators::Integrator;
use so3krates_md::output::{ThermoLog, TrajectoryWriter};
use so3krates_md::{simulate, Langevin, MdState, Potential, VelocityVerlet};

use super::structure_file::read_frame;
use super::MdArgs;
use crate::run_folder::resolve_model;

/// What a finished run measured.
#[derive(Clone, Debug)]
pub struct MdSummary {
    pub steps: u64,
    pub wall_seconds: f64,
    /// Mean temperature over the second half of the logged rows, K.
    pub mean_temperature_k: f64,
    /// Slope of a straight-line fit of the total energy against time, eV/ps (meaningful for NVE).
    pub total_energy_drift_ev_per_ps: f64,
}

/// Runs the dynamics, writing the trajectory and the thermo log; prints a summary line.
pub fn run(args: &MdArgs) -> Result<MdSummary> {
    let (model_path, _) = resolve_model(&args.model)?;
    let structure = read_frame(&args.structure, args.frame)?;
    let predictor = load_predictor(&model_path, args.device)?;
    let potential = Potential::new(predictor.as_ref())?;

    let mut state = MdState::at_rest(structure, &potential)
        .with_context(|| format!("evaluating the starting structure of {}", args.structure.display()))?;
    if let Some(temperature) = args.temperature {
        state.set_maxwell_boltzmann(temperature, &mut StdRng::seed_from_u64(args.seed))?;
    }
    let mut integrator: Box<dyn Integrator> = match (args.friction, args.temperature) {
        (Some(friction), Some(temperature)) => {
            Box::new(Langevin::new(args.dt, temperature, friction, args.seed.wrapping_add(1))?)
        }
        _ => Box::new(VelocityVerlet::new(args.dt)?),
    };
    let ensemble = match args.friction {
        Some(friction) => {
            format!("Langevin NVT at {} K, γ = {friction}/fs", args.temperature.unwrap_or_default())
        }
        None => "NVE (velocity Verlet)".to_string(),
    };
    eprintln!(
        "md: {} atoms from {} frame {}, {ensemble}, {} steps of {} fs on {}",
        state.n_atoms(),
        args.structure.display(),
        args.frame,
        args.steps,
        args.dt,
        args.device
    );

    let thermo_path = args.thermo.clone().unwrap_or_else(|| args.trajectory.with_extension("csv"));
    let mut trajectory = TrajectoryWriter::create(&args.trajectory)?;
    let mut thermo = ThermoLog::create(&thermo_path)?;
    let bar = progress_bar(args.steps);

    let (mut times_ps, mut totals_ev, mut temperatures_k) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    let first_step = state.step;
    simulate(&mut state, integrator.as_mut(), &potential, args.steps, args.interval, |s| -> Result<()> {
        trajectory.write_state(s)?;
        thermo.write_state(s)?;
        times_ps.push(s.time_fs / 1000.0);
        totals_ev.push(s.total_energy_ev());
        temperatures_k.push(s.temperature_k());
        bar.set_position(s.step - first_step);
        bar.set_message(format!("T {:.1} K, E_tot {:.6} eV", s.temperature_k(), s.total_energy_ev()));
        Ok(())
    })?;
    bar.finish_and_clear();

    let wall_seconds = start.elapsed().as_secs_f64();
    let second_half = &temperatures_k[temperatures_k.len() / 2..];
    let summary = MdSummary {
        steps: args.steps,
        wall_seconds,
        mean_temperature_k: second_half.iter().sum::<f64>() / second_half.len().max(1) as f64,
        total_energy_drift_ev_per_ps: least_squares_slope(&times_ps, &totals_ev),
    };
    let ns_per_day = args.steps as f64 * args.dt * 1e-6 / (wall_seconds / 86_400.0);
    eprintln!(
        "md: {} steps in {:.1} s ({:.1} steps/s, {:.3} ns/day); mean T (second half) {:.1} K; \
         total-energy drift {:.3e} eV/ps; wrote {} frames to {} and the log to {}",
        summary.steps,
        wall_seconds,
        args.steps as f64 / wall_seconds.max(1e-9),
        ns_per_day,
        summary.mean_temperature_k,
        summary.total_energy_drift_ev_per_ps,
        trajectory.frames(),
        args.trajectory.display(),
        thermo_path.display()
    );
    Ok(summary)
}

fn progress_bar(steps: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("[{elapsed_precise}] {wide_bar} {pos}/{len} steps | {msg} | ETA {eta}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

/// Slope of the least-squares line through (x, y); 0 for fewer than two points.
fn least_squares_slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    if x.len() < 2 {
        return 0.0;
    }
    let (mean_x, mean_y) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mean_x) * (b - mean_y)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mean_x).powi(2)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}
