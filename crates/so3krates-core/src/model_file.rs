//! The model file: one self-contained file with everything needed to use a model.
//!
//! Layout: a MessagePack map with named fields
//! - `format` = "so3krates-rs model", `format_version` = [`FORMAT_VERSION`];
//! - `metadata`: the [`ModelConfig`](crate::config::ModelConfig) (all sizes, cutoff), the
//!   per-element energy shifts and the units;
//! - `weights`: burn's named MessagePack record of the network, stored in f64 so that
//!   f64 models round-trip exactly and f32 backends convert on load.
//!
//! The header is checked before anything else, so a file of another format version is
//! refused with a message that says which version it has and which this build reads.

use std::path::Path;

use burn::module::Module;
use burn::prelude::*;
use burn::record::{DoublePrecisionSettings, NamedMpkBytesRecorder, Recorder};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::model::ModelMetadata;
use crate::network::So3krates;

/// Value of the `format` field.
pub const FORMAT_NAME: &str = "so3krates-rs model";

/// Version of the file layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Deserialize)]
struct Header {
    format: String,
    format_version: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format: String,
    format_version: u32,
    metadata: ModelMetadata,
    #[serde(with = "serde_bytes")]
    weights: Vec<u8>,
}

fn file_error(path: &Path, message: impl ToString) -> CoreError {
    CoreError::ModelFile { path: path.display().to_string(), message: message.to_string() }
}

/// Serialises a network and its metadata to bytes.
pub fn to_bytes<B: Backend>(network: &So3krates<B>, metadata: &ModelMetadata) -> Result<Vec<u8>, String> {
    let recorder = NamedMpkBytesRecorder::<DoublePrecisionSettings>::default();
    let weights = recorder.record(network.clone().into_record(), ()).map_err(|e| e.to_string())?;
    let file = ModelFile {
        format: FORMAT_NAME.to_string(),
        format_version: FORMAT_VERSION,
        metadata: metadata.clone(),
        weights,
    };
    rmp_serde::to_vec_named(&file).map_err(|e| e.to_string())
}

/// Rebuilds a network and its metadata from bytes.
pub fn from_bytes<B: Backend>(
    bytes: &[u8],
    device: &B::Device,
) -> Result<(So3krates<B>, ModelMetadata), String> {
    let header: Header =
        rmp_serde::from_slice(bytes).map_err(|e| format!("not a so3krates-rs model file ({e})"))?;
    if header.format != FORMAT_NAME {
        return Err(format!("format is {:?}, expected {FORMAT_NAME:?}", header.format));
    }
    if header.format_version != FORMAT_VERSION {
        return Err(format!(
            "format version {} cannot be read by this build, which reads version {FORMAT_VERSION}",
            header.format_version
        ));
    }

    let file: ModelFile = rmp_serde::from_slice(bytes).map_err(|e| format!("malformed model file: {e}"))?;
    file.metadata.config.validate().map_err(|e| e.to_string())?;

    let recorder = NamedMpkBytesRecorder::<DoublePrecisionSettings>::default();
    let record = recorder
        .load(file.weights, device)
        .map_err(|e| format!("weights do not match the configuration: {e}"))?;
    let network = So3krates::<B>::new(&file.metadata.config, device).load_record(record);
    Ok((network, file.metadata))
}

/// Writes the model file atomically: to a temporary file beside `path`, then renamed.
pub fn save<B: Backend>(
    path: &Path,
    network: &So3krates<B>,
    metadata: &ModelMetadata,
) -> Result<(), CoreError> {
    let bytes = to_bytes(network, metadata).map_err(|e| file_error(path, e))?;
    write_atomically(path, &bytes)
}

/// Reads a model file onto `device`.
pub fn load<B: Backend>(path: &Path, device: &B::Device) -> Result<(So3krates<B>, ModelMetadata), CoreError> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, e))?;
    from_bytes(&bytes, device).map_err(|e| file_error(path, e))
}

/// Writes `bytes` to `path` so that readers see either the old or the complete new file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    use std::io::Write;

    let io_error = |source| CoreError::Io { path: path.display().to_string(), source };
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let temporary = directory.join(format!(".{name}.tmp-{}", std::process::id()));

    let mut file = std::fs::File::create(&temporary).map_err(io_error)?;
    file.write_all(bytes).and_then(|_| file.sync_all()).map_err(io_error)?;
    std::fs::rename(&temporary, path).map_err(io_error)
}
