//! # so3krates-serve
//!
//! An HTTP inference server for So3krates force fields. Many clients send structures; the
//! server groups concurrent requests into batched model calls and answers each request with
//! its energies, forces and stress.
//!
//! - [`api`]: the JSON wire types of `POST /v1/predict` (structures in, predictions out);
//! - [`validation`]: turns a request into [`Structure`](so3krates_core::Structure)s, with an
//!   error that names the offending field;
//! - [`predictor`]: what the model thread serves: a loaded [`ForcePredictor`] and what the
//!   handlers need to know about it ([`predictor::ModelInfo`]);
//! - [`batcher`]: the dedicated model thread and its bounded queue (dynamic batching,
//!   back-pressure, one-by-one re-evaluation when a batch fails);
//! - [`routes`] and [`openapi`]: the HTTP endpoints and their generated OpenAPI document;
//! - [`metrics`]: the Prometheus metrics of `GET /metrics`;
//! - [`server`]: start-up (model loaded before listening) and graceful shutdown.
//!
//! ```no_run
//! use so3krates_core::backend::DeviceKind;
//! use so3krates_serve::{predictor::model_file_loader, server::Server, ServerConfig};
//! # async fn example() -> Result<(), so3krates_serve::ServeError> {
//! let loader = model_file_loader("runs/demo/best.so3krates".into(), DeviceKind::Cpu);
//! let server = Server::start(ServerConfig::default(), loader).await?;
//! println!("listening on {}", server.local_addr());
//! server.run(so3krates_serve::server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```
//!
//! [`ForcePredictor`]: so3krates_core::ForcePredictor

pub mod api;
pub mod batcher;
pub mod config;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod predictor;
pub mod routes;
pub mod server;
pub mod validation;

pub use config::ServerConfig;
pub use error::{ApiError, ServeError};
