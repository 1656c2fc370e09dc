//! Errors of the MD crate.

use so3krates_core::CoreError;
use thiserror::Error;

/// What can go wrong in dynamics, relaxation or the i-PI driver.
#[derive(Debug, Error)]
pub enum MdError {
    /// The force predictor failed (bad structure, coincident atoms, non-finite output).
    #[error(transparent)]
    Model(#[from] CoreError),

    /// An element without a tabulated mass.
    #[error("no atomic mass for Z={0} (supported are 1..=99)")]
    UnknownMass(u8),

    /// A unit the MD code cannot convert.
    #[error("unknown unit {unit:?}; this code converts {known}")]
    UnknownUnit { unit: String, known: &'static str },

    /// An invalid setting (time step, temperature, friction, ...).
    #[error("invalid setting: {0}")]
    InvalidSetting(String),

    /// The dynamics blew up: non-finite positions or velocities.
    #[error("step {step}: {message}")]
    Unstable { step: u64, message: String },

    /// The i-PI connection or a message on it.
    #[error("i-PI: {0}")]
    Protocol(String),

    /// Input/output with the path or address it concerns.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}
