//! The `--structure FILE [--frame K]` argument of `md`, `relax` and `ipi`.

use std::path::Path;

use anyhow::{Context, Result};
use so3krates_core::io::{read_structures, ExtxyzKeys};
use so3krates_core::Structure;

/// Frame `frame` (0-based) of a structure file; labels in it are ignored.
pub fn read_frame(path: &Path, frame: usize) -> Result<Structure> {
    let frames = read_structures(path, &ExtxyzKeys::default())
        .with_context(|| format!("cannot read the structure file {}", path.display()))?;
    let count = frames.len();
    let labelled = frames.into_iter().nth(frame).with_context(|| {
        format!("{}: has {count} frames, so there is no frame {frame} (0-based)", path.display())
    })?;
    labelled.structure.validate().with_context(|| format!("{}: frame {frame}", path.display()))?;
    Ok(labelled.structure)
}
