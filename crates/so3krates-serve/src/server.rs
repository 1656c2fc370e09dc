//! Start-up and shutdown of a server.
//!
//! [`Server::start`] loads the model on the model thread and binds the socket only once the
//! model is loaded, so a bad model file fails before anything listens. [`Server::run`]
//! serves until the shutdown future completes, then stops accepting, lets the requests in
//! flight finish, stops the model thread and returns a summary.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use so3krates_core::CoreError;
use tokio::net::TcpListener;
use tracing::info;

use crate::batcher::{start_model_thread, BatchSettings};
use crate::config::ServerConfig;
use crate::error::ServeError;
use crate::metrics::Metrics;
use crate::predictor::{LoadedPredictor, ModelInfo};
use crate::routes::{router, AppState};

/// A server with its model loaded and its socket bound, not yet serving.
pub struct Server {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    model_thread: std::thread::JoinHandle<()>,
}

/// What a server did, reported when it stops.
#[derive(Clone, Debug, PartialEq)]
pub struct ServeSummary {
    /// `POST /v1/predict` requests answered, successful or not.
    pub requests: u64,
    /// Of these, the ones answered with an error.
    pub errors: u64,
    /// Model calls made.
    pub model_calls: u64,
    /// Structures evaluated.
    pub structures: u64,
    /// Mean structures per model call; `None` without a call.
    pub mean_batch_structures: Option<f64>,
}

impl Server {
    /// Loads the predictor with `factory` on the model thread, then binds `config.bind`.
    pub async fn start<F>(config: ServerConfig, factory: F) -> Result<Self, ServeError>
    where
        F: FnOnce() -> Result<LoadedPredictor, CoreError> + Send + 'static,
    {
        if config.max_body_bytes == 0 || config.max_atoms_per_request == 0 {
            return Err(ServeError::Config("max body bytes and max atoms must be at least 1".to_string()));
        }
        let metrics = Metrics::new().map_err(|e| ServeError::Config(format!("metrics: {e}")))?;
        let settings = BatchSettings {
            window: config.batch_window,
            max_atoms: config.max_batch_atoms,
            queue_capacity: config.queue_capacity,
        };
        let (queue, model, model_thread) = start_model_thread(factory, settings, metrics.clone()).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| ServeError::Socket { address: config.bind.to_string(), source })?;
        let address = listener
            .local_addr()
            .map_err(|source| ServeError::Socket { address: config.bind.to_string(), source })?;
        log_start(&address, &model, &config);
        let state = AppState { queue, model: Arc::new(model), config: Arc::new(config), metrics };
        Ok(Self { listener, address, state, model_thread })
    }

    /// The address the server listens on (with the port chosen when binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The metrics of this server (the ones `GET /metrics` shows).
    pub fn metrics(&self) -> Metrics {
        self.state.metrics.clone()
    }

    /// Serves until `shutdown` completes, then drains the requests in flight and stops the
    /// model thread.
    pub async fn run<S>(self, shutdown: S) -> Result<ServeSummary, ServeError>
    where
        S: Future<Output = ()> + Send + 'static,
    {
        let Self { listener, address, state, model_thread } = self;
        let metrics = state.metrics.clone();
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| ServeError::Socket { address: address.to_string(), source })?;
        // The router, and with it the last sender of the queue, is gone: the model thread
        // finishes what is queued and ends.
        tokio::task::spawn_blocking(move || model_thread.join())
            .await
            .map_err(|e| ServeError::Worker(format!("cannot join the model thread: {e}")))?
            .map_err(|_| ServeError::Worker("the model thread panicked".to_string()))?;
        let summary = summary(&metrics);
        info!(
            requests = summary.requests,
            errors = summary.errors,
            model_calls = summary.model_calls,
            structures = summary.structures,
            mean_batch_structures = summary.mean_batch_structures.unwrap_or(0.0),
            "server stopped"
        );
        Ok(summary)
    }
}

fn summary(metrics: &Metrics) -> ServeSummary {
    let requests: u64 = metrics.requests.collect_total();
    let errors: u64 = metrics.errors.collect_total();
    ServeSummary {
        requests,
        errors,
        model_calls: metrics.batch_structures.get_sample_count(),
        structures: metrics.structures.get(),
        mean_batch_structures: metrics.mean_batch_structures(),
    }
}

/// Sum over the label values of a counter vector.
trait CollectTotal {
    fn collect_total(&self) -> u64;
}

impl CollectTotal for prometheus::IntCounterVec {
    fn collect_total(&self) -> u64 {
        use prometheus::core::Collector;
        self.collect()
            .iter()
            .flat_map(|family| family.get_metric().iter().map(|m| m.get_counter().get_value()))
            .sum::<f64>() as u64
    }
}

fn log_start(address: &SocketAddr, model: &ModelInfo, config: &ServerConfig) {
    let elements: Vec<String> = model
        .elements
        .iter()
        .flatten()
        .map(|&z| so3krates_core::io::chemical_symbol(z).map_or_else(|| z.to_string(), str::to_string))
        .collect();
    info!(
        %address,
        energy_unit = %model.units.energy,
        cutoff_angstrom = model.cutoff_angstrom,
        elements = %if elements.is_empty() { "any".to_string() } else { elements.join(",") },
        batch_window_ms = config.batch_window.as_secs_f64() * 1e3,
        max_batch_atoms = config.max_batch_atoms,
        queue_capacity = config.queue_capacity,
        max_atoms_per_request = config.max_atoms_per_request,
        max_body_bytes = config.max_body_bytes,
        "so3krates-serve listening"
    );
}

/// Completes on SIGTERM or SIGINT (Ctrl-C); on other platforms on Ctrl-C alone.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => info!("SIGINT received; finishing the requests in flight"),
        _ = terminate => info!("SIGTERM received; finishing the requests in flight"),
    }
}

/// Runs a server on a new multi-threaded runtime until SIGTERM or SIGINT: the entry point
/// of `so3krates serve`.
pub fn serve_until_signal<F>(config: ServerConfig, factory: F) -> Result<ServeSummary, ServeError>
where
    F: FnOnce() -> Result<LoadedPredictor, CoreError> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("so3krates-http")
        .build()
        .map_err(|e| ServeError::Worker(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let server = Server::start(config, factory).await?;
        server.run(shutdown_signal()).await
    })
}
