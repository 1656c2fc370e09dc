//! The training loop (spec §7): Adam on the energy-and-force loss by nested autodiff,
//! exponential learning-rate decay, validation with the best model kept, optional
//! reduce-on-plateau, early stopping, gradient clipping and weight averaging, NaN recovery,
//! checkpoints and `--resume`.
//!
//! Data order: epoch e visits the training frames in `permutation(n_train, seed, 2 + e)`
//! (see [`crate::rng`]), in batches of `batch_size`; the incomplete last batch is dropped.
//! The order depends only on (seed, epoch), so a resumed run replays it.
//!
//! Validations: a *regular* validation every `eval_every` steps updates the best model,
//! the plateau and early-stopping counters, `metrics.csv`, the plot, and the checkpoint.
//! When training stops between regular validations, a *final* validation is added: it is
//! logged and may replace `best.so3krates`, but it changes no counter, and the checkpoint
//! written then keeps the best of the regular validations. A run stopped at step n and
//! resumed is therefore, step by step, the run that was never stopped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, Optimizer};
use burn::prelude::*;
use serde::Serialize;
use so3krates_core::model::{Model, ModelMetadata, Units};
use so3krates_core::model_file::{self, write_atomically};
use so3krates_core::network::So3krates;
use so3krates_core::training::{loss_and_gradients, LossWeights};

use crate::checkpoint::{optimizer_from_bytes, optimizer_to_bytes, Checkpoint, TrainingState};
use crate::config::TrainConfig;
use crate::dataset::{Dataset, FrameSet, TrainingBatch};
use crate::ema::update_average;
use crate::evaluation::{evaluate_frames, ErrorMetrics};
use crate::grad_clip::{global_norm, scale_gradients};
use crate::metrics::{read_metrics, write_metrics, MetricsRow};
use crate::plot::plot_learning_curve;
use crate::progress::Progress;
use crate::rng::permutation;
use crate::run_folder::RunFolder;
use crate::shifts::fit_energy_shifts;
use crate::splits::Splits;

/// After this many non-finite steps in one run, training gives up.
const MAX_NAN_EVENTS: u32 = 20;

/// Why training stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StopReason {
    MaxSteps,
    MaxEpochs,
    WallBudget,
    MinLearningRate,
    EarlyStopping,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::MaxSteps => "reached training.max_steps",
            Self::MaxEpochs => "reached training.max_epochs",
            Self::WallBudget => "used up training.max_wall_seconds",
            Self::MinLearningRate => "learning rate fell to training.min_learning_rate",
            Self::EarlyStopping => "early stopping (no better validation loss)",
        })
    }
}

/// What a training run did.
#[derive(Clone, Debug, Serialize)]
pub struct TrainOutcome {
    /// Steps done in total (all sessions).
    pub steps: u64,
    /// Steps done by this invocation, and their mean duration in ms (training steps only,
    /// without validations).
    pub session_steps: u64,
    pub ms_per_step: f64,
    pub stop_reason: StopReason,
    /// Errors of the best model on the test split (none if the split is empty).
    pub test: Option<ErrorMetrics>,
    pub best_model: PathBuf,
    pub energy_unit: String,
}

/// How to start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartMode {
    /// A new run; the run folder must not hold one.
    #[default]
    Fresh,
    /// A new run, replacing the files of a run in the folder.
    Overwrite,
    /// Continue from `checkpoints/latest.ckpt`.
    Resume,
}

type Inner<B> = Autodiff<B>;

/// Trains according to `config` on backend `B` (parameters on `Autodiff<B>`), then
/// evaluates the best model on the test split.
pub fn train<B: Backend>(config: &TrainConfig, mode: StartMode, device: &B::Device) -> Result<TrainOutcome> {
    let config = config.with_absolute_paths()?;
    let t = &config.training;
    let run = RunFolder::new(&config.run_dir);
    let weights = t.loss_weights();

    // Run folder and checkpoint.
    let checkpoint = match mode {
        StartMode::Resume => Some(open_checkpoint(&run, &config)?),
        StartMode::Fresh if run.holds_a_run() => bail!(
            "{} already holds a run: continue it with --resume, replace it with --overwrite, \
             or choose another folder with --set run_dir=…",
            run.dir.display()
        ),
        StartMode::Fresh | StartMode::Overwrite => None,
    };

    // Data, splits and energy shifts.
    let keys = config.data.extxyz_keys();
    let dataset = Dataset::read(&config.data.path, &keys)?;
    let splits = if checkpoint.is_some() {
        let splits = Splits::load(&run.dir)?;
        if splits.n_frames != dataset.frames.len() {
            bail!(
                "{} has {} frames but the run's splits.json was drawn for {}: the data file changed",
                config.data.path.display(),
                dataset.frames.len(),
                splits.n_frames
            );
        }
        splits
    } else {
        Splits::draw(
            dataset.frames.len(),
            t.n_train,
            t.n_valid,
            t.n_test,
            t.seed,
            &config.data.path.display().to_string(),
        )
        .with_context(|| format!("splitting {}", config.data.path.display()))?
    };
    dataset.require_labels(&splits.train, weights.energy > 0.0, weights.forces > 0.0, &keys)?;
    dataset.require_labels(&splits.valid, weights.energy > 0.0, weights.forces > 0.0, &keys)?;
    let shifts = fit_shifts(&dataset, &splits.train)?;
    let metadata = ModelMetadata {
        config: config.model.clone(),
        energy_shifts: shifts.clone(),
        units: Units { energy: config.data.energy_unit.clone(), length: "Å".to_string() },
    };
    let train_set = FrameSet::prepare(&dataset, &splits.train, &shifts, &config.model)?;
    let valid_set = FrameSet::prepare(&dataset, &splits.valid, &shifts, &config.model)?;

    // The run folder is written only once the data and the split are known to be good.
    if mode == StartMode::Overwrite {
        for file in run.files() {
            if file.exists() {
                std::fs::remove_file(&file).with_context(|| format!("cannot remove {}", file.display()))?;
            }
        }
    }
    std::fs::create_dir_all(&run.dir)
        .with_context(|| format!("cannot create the run folder {}", run.dir.display()))?;
    if checkpoint.is_none() {
        write_atomically(&run.config(), config.to_toml()?.as_bytes())?;
        splits.save(&run.dir)?;
    }

    // Network, optimizer, average, best.
    let adam = AdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-8);
    let mut optimizer = adam.init::<Inner<B>, So3krates<Inner<B>>>();
    let mut network: So3krates<Inner<B>>;
    let mut average: Option<So3krates<B>>;
    let mut best_network: Option<So3krates<B>> = None;
    let mut best_model_bytes: Option<Vec<u8>> = None;
    let mut state: TrainingState;
    match checkpoint {
        Some(c) => {
            network = network_from_bytes::<Inner<B>>(&c.network, device)?;
            optimizer = optimizer_from_bytes(optimizer, c.optimizer, device)?;
            average = c.average.as_deref().map(|b| network_from_bytes::<B>(b, device)).transpose()?;
            if let Some(bytes) = &c.best_network {
                best_network = Some(network_from_bytes::<Inner<B>>(bytes, device)?.valid());
            }
            if let Some(bytes) = c.best_model {
                write_atomically(&run.best_model(), &bytes)?;
                best_model_bytes = Some(bytes);
            }
            state = c.state;
        }
        None => {
            network = So3krates::<Inner<B>>::new(&config.model, device);
            average = t.ema_decay.map(|_| network.valid());
            state = TrainingState::default();
        }
    }

    let batch_size = t.batch_size();
    let steps_per_epoch = (t.n_train / batch_size) as u64;
    let eval_every = t.eval_every(steps_per_epoch);
    let step_limit = [t.max_steps, t.max_epochs.map(|e| e * steps_per_epoch)].into_iter().flatten().min();
    let mut rows: Vec<MetricsRow> = match mode {
        StartMode::Resume => read_metrics(&run.dir)?.into_iter().filter(|r| r.step <= state.step).collect(),
        _ => Vec::new(),
    };

    let progress = Progress::new(step_limit, t.max_wall_seconds);
    progress.println(&format!(
        "{} {} frames from {}: train {} / valid {} / test {}; batch {batch_size} ({steps_per_epoch} steps per \
         epoch), validation every {eval_every} steps; model F={} layers={} ({} parameters); run folder {}",
        if state.step > 0 { format!("resuming at step {};", state.step) } else { "training on".to_string() },
        dataset.frames.len(),
        config.data.path.display(),
        splits.train.len(),
        splits.valid.len(),
        splits.test.len(),
        config.model.features,
        config.model.layers,
        network.parameter_count(),
        run.dir.display()
    ));

    let session_start = Instant::now();
    let wall_offset = state.wall_seconds;
    let wall = || wall_offset + session_start.elapsed().as_secs_f64();
    let mut epoch_order: Option<(u64, Vec<usize>)> = None;
    let mut training_seconds = 0.0;
    let mut session_steps = 0u64;
    let validator = Validator {
        config: &config,
        run: &run,
        metadata: &metadata,
        valid_set: &valid_set,
        steps_per_epoch,
        progress: &progress,
    };

    let stop_reason = loop {
        let learning_rate = t.scheduled_learning_rate(state.step) * state.plateau_factor;
        if state.early_stopped {
            break StopReason::EarlyStopping;
        }
        if t.max_steps.is_some_and(|m| state.step >= m) {
            break StopReason::MaxSteps;
        }
        if t.max_epochs.is_some_and(|e| state.step >= e * steps_per_epoch) {
            break StopReason::MaxEpochs;
        }
        if learning_rate <= t.min_learning_rate {
            break StopReason::MinLearningRate;
        }
        if t.max_wall_seconds.is_some_and(|w| wall() >= w) {
            break StopReason::WallBudget;
        }

        // One step.
        let step_start = Instant::now();
        let epoch = state.step / steps_per_epoch;
        let order = match &epoch_order {
            Some((e, order)) if *e == epoch => order,
            _ => &epoch_order.insert((epoch, permutation(train_set.len(), t.seed, 2 + epoch))).1,
        };
        let first = (state.step % steps_per_epoch) as usize * batch_size;
        let batch = train_set.batch(&order[first..first + batch_size])?;
        let outcome =
            train_step(network, &mut optimizer, &batch, learning_rate, weights, t.clip_grad_norm, device);
        let loss = match outcome {
            StepOutcome::Finite { network: updated, loss } => {
                network = updated;
                if let (Some(decay), Some(avg)) = (t.ema_decay, average.take()) {
                    average = Some(update_average(avg, &network.valid(), decay));
                }
                state.train_loss_sum += loss;
                state.train_loss_count += 1;
                loss
            }
            StepOutcome::NotFinite { loss, gradient_norm } => {
                state.nan_events += 1;
                if state.nan_events > MAX_NAN_EVENTS {
                    bail!("the loss or gradient was not finite {} times; giving up", state.nan_events);
                }
                progress.println(&format!(
                    "step {}: loss {loss:e}, gradient norm {gradient_norm:e} not finite; reloading the best \
                     weights and resetting the optimizer",
                    state.step
                ));
                network = match &best_network {
                    Some(best) => So3krates::<Inner<B>>::from_inner(best.clone()),
                    None => So3krates::<Inner<B>>::new(&config.model, device),
                };
                average = average.map(|_| network.valid());
                optimizer = adam.init::<Inner<B>, So3krates<Inner<B>>>();
                loss
            }
        };
        state.step += 1;
        session_steps += 1;
        training_seconds += step_start.elapsed().as_secs_f64();
        progress.update(state.step, wall(), loss, learning_rate);

        if state.step.is_multiple_of(eval_every) {
            let evaluated = average.clone().unwrap_or_else(|| network.valid());
            let (row, metrics) =
                validator.validate(evaluated.clone(), &mut state, learning_rate, wall(), device)?;
            let improved = state.best_step == Some(state.step);
            if improved {
                let bytes = model_file::to_bytes(&evaluated, &metadata).map_err(|e| anyhow!(e))?;
                write_atomically(&run.best_model(), &bytes)?;
                best_model_bytes = Some(bytes);
                best_network = Some(network.valid());
            }
            validator.record(&mut rows, row, &metrics, improved)?;
            state.wall_seconds = wall();
            save_checkpoint(
                &run,
                &state,
                &network,
                &optimizer,
                &average,
                &best_network,
                &best_model_bytes,
                &metadata,
            )?;
        }
    };

    // Final validation, if the last step was not validated.
    if rows.last().map(|r| r.step) != Some(state.step) {
        let evaluated = average.clone().unwrap_or_else(|| network.valid());
        let learning_rate = t.scheduled_learning_rate(state.step) * state.plateau_factor;
        let mut scratch = state.clone();
        let (row, metrics) =
            validator.validate(evaluated.clone(), &mut scratch, learning_rate, wall(), device)?;
        let improved = scratch.best_step == Some(state.step);
        if improved {
            let bytes = model_file::to_bytes(&evaluated, &metadata).map_err(|e| anyhow!(e))?;
            write_atomically(&run.best_model(), &bytes)?;
        }
        validator.record(&mut rows, row, &metrics, improved)?;
    }
    state.wall_seconds = wall();
    save_checkpoint(
        &run,
        &state,
        &network,
        &optimizer,
        &average,
        &best_network,
        &best_model_bytes,
        &metadata,
    )?;
    progress.finish();

    let ms_per_step =
        if session_steps > 0 { 1e3 * training_seconds / session_steps as f64 } else { f64::NAN };
    eprintln!(
        "stopped at step {}: {stop_reason}; {session_steps} steps in this session, {ms_per_step:.1} ms per \
         training step, {:.0} s in all",
        state.step, state.wall_seconds
    );

    // Test.
    let test = test_best_model::<B>(&run, &dataset, &splits, weights, t.eval_batch_size, device)?;
    if let Some(metrics) = &test {
        println!("test: {}", metrics.describe(&config.data.energy_unit));
    } else {
        eprintln!("no test frames: the data has no frames beyond n_train + n_valid");
    }
    Ok(TrainOutcome {
        steps: state.step,
        session_steps,
        ms_per_step,
        stop_reason,
        test,
        best_model: run.best_model(),
        energy_unit: config.data.energy_unit.clone(),
    })
}

/// Reads the checkpoint of a run and checks that `config` may continue it.
fn open_checkpoint(run: &RunFolder, config: &TrainConfig) -> Result<Checkpoint> {
    if !run.checkpoint().is_file() {
        bail!(
            "--resume: {} has no checkpoint ({}); start the run without --resume",
            run.dir.display(),
            run.checkpoint().display()
        );
    }
    let stored = TrainConfig::load(&run.config(), &[])?;
    let differences = config.resume_differences(&stored)?;
    if !differences.is_empty() {
        bail!(
            "--resume: the config differs from the run's {} in {}; only the stopping criteria \
             (max_steps, max_epochs, max_wall_seconds, early_stopping_patience) may change",
            run.config().display(),
            differences.join(", ")
        );
    }
    Checkpoint::load(&run.checkpoint())
}

/// Least-squares shifts from the training frames, or none if some lack an energy.
fn fit_shifts(dataset: &Dataset, train: &[usize]) -> Result<BTreeMap<u8, f64>> {
    let labelled: Option<Vec<(&[u8], f64)>> = train
        .iter()
        .map(|&i| dataset.frames[i].energy.map(|e| (dataset.frames[i].structure.numbers.as_slice(), e)))
        .collect();
    match labelled {
        Some(frames) => fit_energy_shifts(frames),
        None => Ok(BTreeMap::new()),
    }
}

fn network_from_bytes<B: Backend>(bytes: &[u8], device: &B::Device) -> Result<So3krates<B>> {
    let (network, _) = model_file::from_bytes::<B>(bytes, device).map_err(|e| anyhow!("checkpoint: {e}"))?;
    Ok(network)
}

/// The result of one optimisation step (short-lived; the size difference does not matter).
#[allow(clippy::large_enum_variant)]
enum StepOutcome<B: Backend> {
    Finite {
        network: So3krates<Inner<B>>,
        loss: f64,
    },
    /// The loss or gradient was NaN or infinite; no update was made.
    NotFinite {
        loss: f64,
        gradient_norm: f64,
    },
}

/// One Adam step on the energy-and-force loss of `batch`.
fn train_step<B: Backend, O: Optimizer<So3krates<Inner<B>>, Inner<B>>>(
    network: So3krates<Inner<B>>,
    optimizer: &mut O,
    batch: &TrainingBatch,
    learning_rate: f64,
    weights: LossWeights,
    clip_grad_norm: Option<f64>,
    device: &B::Device,
) -> StepOutcome<B> {
    let (loss_value, mut gradients) =
        loss_and_gradients(&network, &batch.batch, &batch.energies, &batch.forces, weights, device);
    if !loss_value.is_finite() {
        return StepOutcome::NotFinite { loss: loss_value, gradient_norm: f64::NAN };
    }

    let norm = global_norm(&network, &gradients);
    if !norm.is_finite() {
        return StepOutcome::NotFinite { loss: loss_value, gradient_norm: norm };
    }
    if let Some(max_norm) = clip_grad_norm {
        if norm > max_norm {
            scale_gradients(&network, &mut gradients, max_norm / norm);
        }
    }
    let network = optimizer.step(learning_rate, network, gradients);
    StepOutcome::Finite { network, loss: loss_value }
}

/// Writes `checkpoints/latest.ckpt`.
#[allow(clippy::too_many_arguments)]
fn save_checkpoint<B: Backend, O: Optimizer<So3krates<Inner<B>>, Inner<B>>>(
    run: &RunFolder,
    state: &TrainingState,
    network: &So3krates<Inner<B>>,
    optimizer: &O,
    average: &Option<So3krates<B>>,
    best_network: &Option<So3krates<B>>,
    best_model: &Option<Vec<u8>>,
    metadata: &ModelMetadata,
) -> Result<()> {
    let encode = |n: &So3krates<B>| model_file::to_bytes(n, metadata).map_err(|e| anyhow!(e));
    let checkpoint = Checkpoint::new(
        state.clone(),
        model_file::to_bytes(&network.valid(), metadata).map_err(|e| anyhow!(e))?,
        optimizer_to_bytes::<Inner<B>, O>(optimizer)?,
        average.as_ref().map(encode).transpose()?,
        best_network.as_ref().map(encode).transpose()?,
        best_model.clone(),
    );
    checkpoint.save(&run.checkpoint())
}

/// Errors of `best.so3krates` on the test split; written to `test_metrics.json`.
fn test_best_model<B: Backend>(
    run: &RunFolder,
    dataset: &Dataset,
    splits: &Splits,
    weights: LossWeights,
    batch_size: usize,
    device: &B::Device,
) -> Result<Option<ErrorMetrics>> {
    if splits.test.is_empty() {
        return Ok(None);
    }
    if !run.best_model().is_file() {
        bail!("no best model was saved (every validation loss was NaN?); see {}", run.dir.display());
    }
    let model = Model::<B>::load(&run.best_model(), device)?;
    let metadata = model.metadata().clone();
    let test_set = FrameSet::prepare(dataset, &splits.test, &metadata.energy_shifts, &metadata.config)?;
    let (metrics, _) = evaluate_frames(&model, &test_set, batch_size, weights)?;
    let json =
        serde_json::json!({ "split": "test", "energy_unit": metadata.units.energy, "metrics": metrics });
    write_atomically(&run.test_metrics(), serde_json::to_string_pretty(&json)?.as_bytes())?;
    Ok(Some(metrics))
}

/// What validations need.
struct Validator<'a> {
    config: &'a TrainConfig,
    run: &'a RunFolder,
    metadata: &'a ModelMetadata,
    valid_set: &'a FrameSet,
    steps_per_epoch: u64,
    progress: &'a Progress,
}

impl Validator<'_> {
    /// Evaluates `evaluated` on the validation set and updates the best / plateau /
    /// early-stopping fields of `state` (sets `best_step` to the current step when better).
    fn validate<B: Backend>(
        &self,
        evaluated: So3krates<B>,
        state: &mut TrainingState,
        learning_rate: f64,
        wall_seconds: f64,
        device: &B::Device,
    ) -> Result<(MetricsRow, ErrorMetrics)> {
        let t = &self.config.training;
        let model = Model::from_network(evaluated, self.metadata.clone(), device);
        let (metrics, _) = evaluate_frames(&model, self.valid_set, t.eval_batch_size, t.loss_weights())
            .context("validation")?;
        let train_loss = if state.train_loss_count > 0 {
            state.train_loss_sum / state.train_loss_count as f64
        } else {
            f64::NAN
        };
        state.train_loss_sum = 0.0;
        state.train_loss_count = 0;

        let improved =
            metrics.loss.is_finite() && state.best_valid_loss.is_none_or(|best| metrics.loss < best);
        if improved {
            state.best_valid_loss = Some(metrics.loss);
            state.best_step = Some(state.step);
            state.evaluations_since_best = 0;
            state.plateau_count = 0;
        } else {
            state.evaluations_since_best += 1;
            state.plateau_count += 1;
            if let Some(plateau) = t.plateau {
                if state.plateau_count >= plateau.patience {
                    state.plateau_factor *= plateau.factor;
                    state.plateau_count = 0;
                    self.progress.println(&format!(
                        "plateau: {} validations without improvement, learning rate × {}",
                        plateau.patience, plateau.factor
                    ));
                }
            }
            if t.early_stopping_patience.is_some_and(|p| state.evaluations_since_best >= p) {
                state.early_stopped = true;
            }
        }
        let row = MetricsRow {
            step: state.step,
            epoch: state.step as f64 / self.steps_per_epoch as f64,
            wall_seconds,
            learning_rate,
            train_loss,
            valid_loss: metrics.loss,
            valid_energy_mae: metrics.energy_mae,
            valid_energy_rmse: metrics.energy_rmse,
            valid_forces_mae: metrics.forces_mae,
            valid_forces_rmse: metrics.forces_rmse,
        };
        Ok((row, metrics))
    }

    /// Appends the row, rewrites `metrics.csv` and the plot, prints the summary line.
    fn record(
        &self,
        rows: &mut Vec<MetricsRow>,
        row: MetricsRow,
        metrics: &ErrorMetrics,
        improved: bool,
    ) -> Result<()> {
        let unit = &self.config.data.energy_unit;
        rows.push(row);
        write_metrics(&self.run.dir, rows)?;
        if let Err(error) = plot_learning_curve(&self.run.plot(), rows, unit) {
            self.progress.println(&format!("warning: cannot draw the learning curve: {error:#}"));
        }
        self.progress.println(&format!(
            "step {} (epoch {:.2}) lr {:.2e} | train loss {:.3e} | valid loss {:.3e}, E MAE {:.4} RMSE {:.4} {unit}, \
             F MAE {:.4} RMSE {:.4} {unit}/Å | {:.0} s{}",
            row.step,
            row.epoch,
            row.learning_rate,
            row.train_loss,
            metrics.loss,
            metrics.energy_mae,
            metrics.energy_rmse,
            metrics.forces_mae,
            metrics.forces_rmse,
            row.wall_seconds,
            if improved { " (best)" } else { "" }
        ));
        Ok(())
    }
}
