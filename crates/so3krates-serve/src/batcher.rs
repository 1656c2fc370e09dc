//! The model thread: dynamic batching behind a bounded queue.
//!
//! The predictor (`Box<dyn ForcePredictor>`, neither `Send` nor `Sync`) lives on one
//! dedicated thread that loads it itself, reports the outcome before the server listens, and
//! then serves [`Job`]s from a bounded channel:
//! 1. it waits for a first job, then collects more until [`BatchSettings::window`] has passed
//!    or the batch holds [`BatchSettings::max_atoms`] atoms (a job that would overflow the
//!    batch starts the next one; a job larger than the limit runs alone);
//! 2. the jobs that want stress and those that do not are evaluated as one model call each;
//! 3. if a call fails (an error or a panic of the model), each of its jobs is re-evaluated
//!    alone, so only the job at fault gets the error;
//! 4. each job is answered through its own oneshot channel.
//!
//! A full queue is refused at once ([`SubmitError::QueueFull`]): the queue never grows
//! beyond its capacity.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use so3krates_core::{CoreError, ForcePredictor, Prediction, Structure};
use tokio::sync::oneshot;
use tracing::{debug, warn};

use crate::error::ServeError;
use crate::metrics::Metrics;
use crate::predictor::{LoadedPredictor, ModelInfo};

/// How the model thread forms batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchSettings {
    /// How long to wait for more jobs after the first one of a batch.
    pub window: Duration,
    /// A batch is closed once it holds this many atoms.
    pub max_atoms: usize,
    /// Jobs that may wait in the queue.
    pub queue_capacity: usize,
}

/// One request's structures, evaluated together with other jobs.
pub struct Job {
    /// The structures of the request, already validated.
    pub structures: Vec<Structure>,
    /// Whether stress is wanted (periodic structures only get one).
    pub stress: bool,
    /// The answer, one prediction per structure in order.
    pub reply: oneshot::Sender<Result<Vec<Prediction>, ModelFailure>>,
}

impl Job {
    fn n_atoms(&self) -> usize {
        self.structures.iter().map(Structure::len).sum()
    }
}

/// Why the model could not evaluate a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelFailure {
    pub message: String,
    /// Index of the structure at fault within the job, when the model says.
    pub structure_index: Option<usize>,
    /// True when the input is at fault (HTTP 422), false for a failure of the model (500).
    pub input_fault: bool,
}

impl ModelFailure {
    fn from_core(error: CoreError) -> Self {
        match error {
            CoreError::InBatch { index, source } => {
                Self { structure_index: Some(index), ..Self::from_core(*source) }
            }
            error => {
                let input_fault = matches!(
                    error,
                    CoreError::InvalidStructure(_)
                        | CoreError::CoincidentAtoms { .. }
                        | CoreError::UnknownElement(_)
                        | CoreError::Numerical(_)
                );
                Self { message: error.to_string(), structure_index: None, input_fault }
            }
        }
    }
}

/// Why a job was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The queue holds `queue_capacity` jobs already.
    QueueFull,
    /// The model thread has stopped.
    Stopped,
}

/// The sending side of the queue, shared by the request handlers.
#[derive(Clone)]
pub struct BatchQueue {
    sender: SyncSender<Job>,
    metrics: Metrics,
}

impl BatchQueue {
    /// Queues `structures` without waiting; the receiver yields the predictions.
    pub fn submit(
        &self,
        structures: Vec<Structure>,
        stress: bool,
    ) -> Result<oneshot::Receiver<Result<Vec<Prediction>, ModelFailure>>, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.metrics.queue_depth.inc();
        match self.sender.try_send(Job { structures, stress, reply }) {
            Ok(()) => Ok(answer),
            Err(error) => {
                self.metrics.queue_depth.dec();
                Err(match error {
                    TrySendError::Full(_) => SubmitError::QueueFull,
                    TrySendError::Disconnected(_) => SubmitError::Stopped,
                })
            }
        }
    }
}

/// Starts the model thread: `factory` runs on it and loads the predictor. Returns once the
/// predictor is loaded (or with the load error), with the queue to the thread, the model's
/// facts and the thread's handle, which ends when every [`BatchQueue`] clone is dropped.
pub async fn start_model_thread<F>(
    factory: F,
    settings: BatchSettings,
    metrics: Metrics,
) -> Result<(BatchQueue, ModelInfo, JoinHandle<()>), ServeError>
where
    F: FnOnce() -> Result<LoadedPredictor, CoreError> + Send + 'static,
{
    if settings.queue_capacity == 0 || settings.max_atoms == 0 {
        return Err(ServeError::Config("queue capacity and max batch atoms must be at least 1".to_string()));
    }
    let (sender, receiver) = sync_channel::<Job>(settings.queue_capacity);
    let (loaded, load_report) = oneshot::channel::<Result<ModelInfo, String>>();
    let worker_metrics = metrics.clone();
    let thread = std::thread::Builder::new()
        .name("so3krates-model".to_string())
        .spawn(move || {
            let loaded_predictor = match catch_unwind(AssertUnwindSafe(factory)) {
                Ok(Ok(predictor)) => predictor,
                Ok(Err(error)) => {
                    let _ = loaded.send(Err(error.to_string()));
                    return;
                }
                Err(panic) => {
                    let _ =
                        loaded.send(Err(format!("the model loader panicked: {}", panic_message(&*panic))));
                    return;
                }
            };
            if loaded.send(Ok(loaded_predictor.info())).is_err() {
                return;
            }
            serve_jobs(loaded_predictor.predictor.as_ref(), &receiver, settings, &worker_metrics);
        })
        .map_err(|e| ServeError::Worker(format!("cannot start the model thread: {e}")))?;

    match load_report.await {
        Ok(Ok(info)) => Ok((BatchQueue { sender, metrics }, info, thread)),
        Ok(Err(message)) => {
            let _ = thread.join();
            Err(ServeError::ModelLoad(message))
        }
        Err(_) => {
            Err(ServeError::Worker("the model thread ended before reporting the model load".to_string()))
        }
    }
}

/// The loop of the model thread; returns when every sender is gone and the queue is empty.
fn serve_jobs(
    predictor: &dyn ForcePredictor,
    receiver: &Receiver<Job>,
    settings: BatchSettings,
    metrics: &Metrics,
) {
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match receiver.recv() {
                Ok(job) => {
                    metrics.queue_depth.dec();
                    job
                }
                Err(_) => return,
            },
        };
        let (batch, next) = collect_batch(first, receiver, settings, metrics);
        carried = next;
        evaluate_batch(predictor, batch, metrics);
    }
}

/// Collects jobs after `first` until the window has passed or the atom limit is reached;
/// returns the batch and the job that did not fit, if any.
fn collect_batch(
    first: Job,
    receiver: &Receiver<Job>,
    settings: BatchSettings,
    metrics: &Metrics,
) -> (Vec<Job>, Option<Job>) {
    let deadline = Instant::now() + settings.window;
    let mut atoms = first.n_atoms();
    let mut batch = vec![first];
    while atoms < settings.max_atoms {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let job = if remaining.is_zero() {
            match receiver.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        } else {
            match receiver.recv_timeout(remaining) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        };
        metrics.queue_depth.dec();
        if job.reply.is_closed() {
            continue;
        }
        let job_atoms = job.n_atoms();
        if atoms + job_atoms > settings.max_atoms {
            return (batch, Some(job));
        }
        atoms += job_atoms;
        batch.push(job);
    }
    (batch, None)
}

/// Evaluates a batch: one model call per stress setting, one call per job if that fails.
fn evaluate_batch(predictor: &dyn ForcePredictor, batch: Vec<Job>, metrics: &Metrics) {
    let (with_stress, without_stress): (Vec<Job>, Vec<Job>) =
        batch.into_iter().filter(|job| !job.reply.is_closed()).partition(|job| job.stress);
    for (group, stress) in [(with_stress, true), (without_stress, false)] {
        if group.is_empty() {
            continue;
        }
        let structures: Vec<Structure> =
            group.iter().flat_map(|job| job.structures.iter().cloned()).collect();
        match call_model(predictor, &structures, stress, metrics) {
            Ok(predictions) => {
                let mut predictions = predictions.into_iter();
                for job in group {
                    let answer: Vec<Prediction> = predictions.by_ref().take(job.structures.len()).collect();
                    let _ = job.reply.send(Ok(answer));
                }
            }
            Err(failure) if group.len() == 1 => {
                for job in group {
                    let _ = job.reply.send(Err(failure.clone()));
                }
            }
            Err(failure) => {
                warn!(jobs = group.len(), error = %failure.message, "batched model call failed; re-evaluating its requests one by one");
                for job in group {
                    let answer = call_model(predictor, &job.structures, stress, metrics);
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// One model call, with panics caught and the result's length checked.
fn call_model(
    predictor: &dyn ForcePredictor,
    structures: &[Structure],
    stress: bool,
    metrics: &Metrics,
) -> Result<Vec<Prediction>, ModelFailure> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| predictor.predict(structures, stress)));
    let elapsed = started.elapsed();
    let n_atoms: usize = structures.iter().map(Structure::len).sum();
    metrics.model_call_duration_seconds.observe(elapsed.as_secs_f64());
    metrics.batch_structures.observe(structures.len() as f64);
    metrics.batch_atoms.observe(n_atoms as f64);
    debug!(
        structures = structures.len(),
        atoms = n_atoms,
        stress,
        elapsed_ms = elapsed.as_secs_f64() * 1e3,
        "model call"
    );
    match outcome {
        Ok(Ok(predictions)) if predictions.len() == structures.len() => {
            metrics.structures.inc_by(structures.len() as u64);
            Ok(predictions)
        }
        Ok(Ok(predictions)) => Err(ModelFailure {
            message: format!(
                "the model returned {} predictions for {} structures",
                predictions.len(),
                structures.len()
            ),
            structure_index: None,
            input_fault: false,
        }),
        Ok(Err(error)) => Err(ModelFailure::from_core(error)),
        Err(panic) => Err(ModelFailure {
            message: format!("the model panicked: {}", panic_message(&*panic)),
            structure_index: None,
            input_fault: false,
        }),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}
