//! Prometheus metrics of the server, exposed in the text format at `GET /metrics`.
//!
//! - `so3krates_predict_requests_total{status}`: answered `POST /v1/predict` requests by
//!   HTTP status code;
//! - `so3krates_predict_errors_total{kind}`: failed requests by kind (`bad_request`,
//!   `invalid_input`, `too_large`, `queue_full`, `model`);
//! - `so3krates_request_duration_seconds`: latency of `POST /v1/predict`, histogram;
//! - `so3krates_batch_structures` / `so3krates_batch_atoms`: size of each batched model
//!   call, histograms (their `_sum / _count` is the mean batch size);
//! - `so3krates_model_call_duration_seconds`: time of each model call, histogram;
//! - `so3krates_queue_depth`: requests waiting for the model thread, gauge;
//! - `so3krates_structures_total`: structures evaluated, counter.

use prometheus::{
    exponential_buckets, Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

/// Every metric of one server, registered in its own registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub errors: IntCounterVec,
    pub request_duration_seconds: Histogram,
    pub batch_structures: Histogram,
    pub batch_atoms: Histogram,
    pub model_call_duration_seconds: Histogram,
    pub queue_depth: IntGauge,
    pub structures: IntCounter,
}

impl Metrics {
    /// A fresh set of metrics. Fails only on inconsistent metric definitions.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "so3krates_predict_requests_total",
                "Answered POST /v1/predict requests by HTTP status",
            ),
            &["status"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new("so3krates_predict_errors_total", "Failed POST /v1/predict requests by kind"),
            &["kind"],
        )?;
        let request_duration_seconds = Histogram::with_opts(
            HistogramOpts::new("so3krates_request_duration_seconds", "Latency of POST /v1/predict, seconds")
                .buckets(exponential_buckets(1e-4, 2.0, 18)?),
        )?;
        let batch_structures = Histogram::with_opts(
            HistogramOpts::new("so3krates_batch_structures", "Structures per batched model call")
                .buckets(exponential_buckets(1.0, 2.0, 12)?),
        )?;
        let batch_atoms = Histogram::with_opts(
            HistogramOpts::new("so3krates_batch_atoms", "Atoms per batched model call")
                .buckets(exponential_buckets(8.0, 2.0, 14)?),
        )?;
        let model_call_duration_seconds = Histogram::with_opts(
            HistogramOpts::new("so3krates_model_call_duration_seconds", "Time of one model call, seconds")
                .buckets(exponential_buckets(1e-4, 2.0, 18)?),
        )?;
        let queue_depth = IntGauge::new("so3krates_queue_depth", "Requests waiting for the model thread")?;
        let structures = IntCounter::new("so3krates_structures_total", "Structures evaluated by the model")?;

        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(request_duration_seconds.clone()))?;
        registry.register(Box::new(batch_structures.clone()))?;
        registry.register(Box::new(batch_atoms.clone()))?;
        registry.register(Box::new(model_call_duration_seconds.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(structures.clone()))?;
        Ok(Self {
            registry,
            requests,
            errors,
            request_duration_seconds,
            batch_structures,
            batch_atoms,
            model_call_duration_seconds,
            queue_depth,
            structures,
        })
    }

    /// All metrics in the Prometheus text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        String::from_utf8(buffer).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }

    /// Mean structures per model call so far; `None` before the first call.
    pub fn mean_batch_structures(&self) -> Option<f64> {
        let count = self.batch_structures.get_sample_count();
        (count > 0).then(|| self.batch_structures.get_sample_sum() / count as f64)
    }
}
