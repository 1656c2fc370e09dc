//! Errors: [`ApiError`], what a request is answered with when it fails, and [`ServeError`],
//! why a server could not start or stopped abnormally.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use thiserror::Error;

use crate::api::ErrorBody;

/// A failed request: its HTTP status and a message that names the problem and, where one
/// is at fault, the field (`structures[1].positions[3]`).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Path of the offending field in the request body, if one is at fault.
    pub field: Option<String>,
    /// Seconds after which the client may retry (sent as `Retry-After`), for HTTP 503.
    pub retry_after_seconds: Option<u64>,
}

impl ApiError {
    /// An error of status `status` that no single field is to blame for.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), field: None, retry_after_seconds: None }
    }

    /// HTTP 422: the request is well-formed JSON but `field` holds a value the model cannot take.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: Some(field.into()), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, message) }
    }

    /// HTTP 503 with `Retry-After`.
    pub fn unavailable(message: impl Into<String>, retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
        }
    }

    /// The JSON body sent to the client.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: self.message.clone(), field: self.field.clone() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Why a server could not start, or did not stop cleanly.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The model thread could not load the model; nothing was bound.
    #[error("cannot load the model: {0}")]
    ModelLoad(String),

    /// The model thread could not be started or died.
    #[error("model thread: {0}")]
    Worker(String),

    /// Binding or serving the socket failed.
    #[error("{address}: {source}")]
    Socket {
        address: String,
        #[source]
        source: std::io::Error,
    },

    /// An invalid server configuration.
    #[error("invalid server configuration: {0}")]
    Config(String),
}
