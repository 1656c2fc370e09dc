//! Errors of the core crate.

use thiserror::Error;

/// Everything that can go wrong in the core crate, each with a message that names the problem.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A structure the model cannot evaluate (lengths, elements, coordinates, cell).
    #[error("invalid structure: {0}")]
    InvalidStructure(String),

    /// Two atoms (or an atom and a periodic image) at (nearly) the same place.
    #[error(
        "atoms {first} and {second} coincide (distance {distance_angstrom:.3e} Å{shift}); \
         remove the duplicate atom"
    )]
    CoincidentAtoms {
        first: usize,
        second: usize,
        distance_angstrom: f64,
        /// Describes the periodic image, empty for a direct pair.
        shift: String,
    },

    /// A structure in a batch failed; wraps the error with the structure's index.
    #[error("structure {index}: {source}")]
    InBatch {
        index: usize,
        #[source]
        source: Box<CoreError>,
    },

    /// An element the model has no energy shift for.
    #[error("element Z={0} is not known to this model (it was not in the training data)")]
    UnknownElement(u8),

    /// Reading or writing a model file failed.
    #[error("model file {path}: {message}")]
    ModelFile { path: String, message: String },

    /// An invalid model configuration.
    #[error("invalid model configuration: {0}")]
    InvalidConfig(String),

    /// A requested backend is not available in this build or on this machine.
    #[error("device {device} is not available: {reason}")]
    DeviceUnavailable { device: String, reason: String },

    /// A numerical failure in the model (non-finite output).
    #[error("numerical failure: {0}")]
    Numerical(String),

    /// A data file that cannot be read: names the file and the key, frame or line.
    #[error("{path}: {message}")]
    Data { path: String, message: String },

    /// Input/output error with the path it concerns.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
