//! The HTTP endpoints: `POST /v1/predict`, `GET /health`, `GET /metrics`, `GET /openapi.json`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use so3krates_core::Prediction;
use tracing::debug;
use utoipa::OpenApi;

use crate::api::{
    ErrorBody, HealthResponse, PredictRequest, PredictResponse, ResponseUnits, StructureResult,
};
use crate::batcher::{BatchQueue, ModelFailure, SubmitError};
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::openapi::ApiDoc;
use crate::predictor::ModelInfo;
use crate::validation::{parse_request, validate_request, PropertySet, ValidRequest};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub queue: BatchQueue,
    pub model: Arc<ModelInfo>,
    pub config: Arc<ServerConfig>,
    pub metrics: Metrics,
}

/// The router of all endpoints, with the body limit of `state.config`.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .route("/v1/predict", post(predict))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Energies, forces and stress of one or more structures.
#[utoipa::path(
    post,
    path = "/v1/predict",
    request_body = PredictRequest,
    responses(
        (status = 200, description = "One result per structure, in order, with the units", body = PredictResponse),
        (status = 400, description = "Malformed JSON or a value of the wrong type", body = ErrorBody),
        (status = 413, description = "Body larger than --max-body-bytes or more atoms than --max-atoms", body = ErrorBody),
        (status = 415, description = "Content type other than application/json", body = ErrorBody),
        (status = 422, description = "A structure the model cannot evaluate (lengths, elements, coordinates, cell, coincident atoms)", body = ErrorBody),
        (status = 500, description = "The model failed on a valid structure", body = ErrorBody),
        (status = 503, description = "The queue is full; retry after Retry-After seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    ),
    tag = "prediction"
)]
pub async fn predict(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let outcome = answer_predict(&state, &headers, body).await;
    let elapsed = started.elapsed();
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(error) => error.status,
    };
    state.metrics.requests.with_label_values(&[status.as_str()]).inc();
    state.metrics.request_duration_seconds.observe(elapsed.as_secs_f64());
    match outcome {
        Ok((response, n_structures)) => {
            debug!(
                status = status.as_u16(),
                structures = n_structures,
                elapsed_ms = elapsed.as_secs_f64() * 1e3,
                "POST /v1/predict"
            );
            Json(response).into_response()
        }
        Err(error) => {
            state.metrics.errors.with_label_values(&[error_kind(error.status)]).inc();
            debug!(
                status = status.as_u16(),
                error = %error.message,
                field = error.field.as_deref().unwrap_or(""),
                elapsed_ms = elapsed.as_secs_f64() * 1e3,
                "POST /v1/predict"
            );
            error.into_response()
        }
    }
}

/// The response and the number of structures, or the error.
async fn answer_predict(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(PredictResponse, usize), ApiError> {
    check_content_type(headers)?;
    let body = body.map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))?;
    let model = Arc::clone(&state.model);
    let max_atoms = state.config.max_atoms_per_request;
    // Parsing and the neighbour lists of the checks are CPU work: off the async workers.
    let request = tokio::task::spawn_blocking(move || {
        parse_request(&body).and_then(|request| validate_request(request, &model, max_atoms))
    })
    .await
    .map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("validation task failed: {e}"))
    })??;

    let ValidRequest { structures, properties, .. } = request;
    let n_structures = structures.len();
    let answer = state.queue.submit(structures, properties.stress).map_err(|error| match error {
        SubmitError::QueueFull => ApiError::unavailable(
            format!(
                "the queue is full ({} requests wait for the model); retry later",
                state.config.queue_capacity
            ),
            state.config.retry_after_seconds,
        ),
        SubmitError::Stopped => ApiError::unavailable(
            "the model thread has stopped; the server is shutting down",
            state.config.retry_after_seconds,
        ),
    })?;
    let predictions = answer
        .await
        .map_err(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the model thread dropped the request")
        })?
        .map_err(failure_to_error)?;
    let results =
        predictions.into_iter().map(|prediction| structure_result(prediction, properties)).collect();
    Ok((PredictResponse { units: response_units(&state.model), results }, n_structures))
}

/// JSON only; a request without a content type is read as JSON.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json" {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type {value:?} is not supported; send application/json"),
        ))
    }
}

fn failure_to_error(failure: ModelFailure) -> ApiError {
    let status = if failure.input_fault {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    ApiError {
        field: failure.structure_index.map(|index| format!("structures[{index}]")),
        ..ApiError::new(status, failure.message)
    }
}

fn error_kind(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_input",
        StatusCode::SERVICE_UNAVAILABLE => "queue_full",
        status if status.is_client_error() => "bad_request",
        _ => "model",
    }
}

fn structure_result(prediction: Prediction, properties: PropertySet) -> StructureResult {
    StructureResult {
        energy: properties.energy.then_some(prediction.energy),
        forces: properties.forces.then_some(prediction.forces),
        stress: if properties.stress { prediction.stress } else { None },
    }
}

/// Units of a response: the model's energy and length, forces energy/length, stress
/// energy/length³.
pub fn response_units(model: &ModelInfo) -> ResponseUnits {
    let (energy, length) = (&model.units.energy, &model.units.length);
    ResponseUnits {
        energy: energy.clone(),
        length: length.clone(),
        forces: format!("{energy}/{length}"),
        stress: format!("{energy}/{length}³"),
    }
}

/// Liveness and the facts of the served model.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "The server accepts work", body = HealthResponse)), tag = "operations")]
pub async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".to_string(),
        energy_unit: state.model.units.energy.clone(),
        cutoff_angstrom: state.model.cutoff_angstrom,
        elements: state.model.elements.iter().flatten().copied().collect(),
        queue_depth: state.metrics.queue_depth.get(),
    })
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    get,
    path = "/metrics",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 500, description = "The metrics could not be encoded", body = ErrorBody),
    ),
    tag = "operations"
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render() {
        Ok(text) => {
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
        }
        Err(error) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot encode metrics: {error}"))
                .into_response()
        }
    }
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "The OpenAPI document", content_type = "application/json")), tag = "operations")]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
