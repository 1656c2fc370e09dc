//! Readers and writers of labelled training data.
//!
//! - [`read_npz`]: sGDML / MD17 / MD22 (`R`, `z`, `E`, `F`) and rMD17 (`coords`,
//!   `nuclear_charges`, `energies`, `forces`) NumPy archives;
//! - [`read_extxyz`] / [`write_extxyz`]: extended XYZ as ASE reads and writes it;
//! - [`read_structures`]: either, chosen by the file extension.
//!
//! Readers return values **in the units of the file**; nothing here converts units. MD17,
//! MD22 and rMD17 are kcal/mol, kcal/(mol·Å) and Å; extended XYZ files written by ASE are
//! eV, eV/Å and Å, but the file does not say so.
//!
//! Every reading error is [`CoreError::Data`], whose message names the key, the frame
//! (0-based) or the line (1-based) and the problem.

mod elements;
mod extxyz;
mod extxyz_comment;
mod extxyz_write;
mod npz;

use std::path::Path;

use crate::error::CoreError;
use crate::structure::Structure;

pub use elements::{atomic_number, chemical_symbol};
pub use extxyz::{read_extxyz, read_extxyz_from};
pub use extxyz_write::{write_extxyz, write_extxyz_with_keys};
pub use npz::read_npz;

/// One structure with its reference labels, in the units of the file (no conversion here).
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledStructure {
    /// Atomic numbers, positions (n_atoms, 3), optional cell (rows) and pbc.
    pub structure: Structure,
    /// Total energy of the structure, if the file has one.
    pub energy: Option<f64>,
    /// Forces (−∂E/∂R), shape (n_atoms, 3), if the file has them.
    pub forces: Option<Vec<[f64; 3]>>,
    /// 3x3 stress, if the file has one (extended XYZ only; sign and unit as in the file).
    pub stress: Option<[[f64; 3]; 3]>,
}

/// Names of the label keys in extended XYZ.
///
/// The defaults are ASE's calculator names `energy`, `forces`, `stress`. From ASE 3.23 on
/// these names are moved into a calculator on reading, so MACE and others store reference
/// labels as `REF_energy`, `REF_forces`, `REF_stress` ([`ExtxyzKeys::mace`]); sGDML's
/// exporter writes `Energy` with a capital E. Keys are matched exactly (case-sensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtxyzKeys {
    /// Per-frame key of the total energy on the comment line.
    pub energy: String,
    /// Name of the per-atom forces column in `Properties` (type R, 3 columns).
    pub forces: String,
    /// Per-frame key of the stress: 9 numbers (3x3) or 6 (Voigt xx yy zz yz xz xy).
    pub stress: String,
}

impl ExtxyzKeys {
    /// Keys with the given names.
    pub fn new(energy: &str, forces: &str, stress: &str) -> Self {
        Self { energy: energy.to_string(), forces: forces.to_string(), stress: stress.to_string() }
    }

    /// MACE's reference-label names: `REF_energy`, `REF_forces`, `REF_stress`.
    pub fn mace() -> Self {
        Self::new("REF_energy", "REF_forces", "REF_stress")
    }
}

impl Default for ExtxyzKeys {
    /// ASE's names: `energy`, `forces`, `stress`.
    fn default() -> Self {
        Self::new("energy", "forces", "stress")
    }
}

/// Reads labelled structures from `path`, choosing the reader by extension: `.npz` →
/// [`read_npz`]; `.xyz` or `.extxyz` → [`read_extxyz`] with `keys` (case-insensitive).
pub fn read_structures(path: &Path, keys: &ExtxyzKeys) -> Result<Vec<LabelledStructure>, CoreError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);

    match extension.as_deref() {
        Some("npz") => read_npz(path),
        Some("xyz") | Some("extxyz") => read_extxyz(path, keys),
        Some(other) => Err(data_error(
            path,
            format!("unsupported file extension '.{other}'; expected .npz, .xyz or .extxyz"),
        )),
        None => {
            Err(data_error(path, "the file has no extension; expected .npz, .xyz or .extxyz".to_string()))
        }
    }
}

/// A [`CoreError::Data`] about `path`.
pub(crate) fn data_error(path: &Path, message: String) -> CoreError {
    CoreError::Data { path: path.display().to_string(), message }
}

/// Checks one frame as read: [`Structure::validate`], then finite energy and forces.
///
/// The `Err` is the bare problem ("atom 3 has a non-finite position …"); callers prefix the
/// frame (and line) they read it from.
pub(crate) fn check_frame(frame: &LabelledStructure) -> Result<(), String> {
    frame.structure.validate().map_err(|e| e.to_string())?;

    if let Some(energy) = frame.energy {
        if !energy.is_finite() {
            return Err(format!("energy is not finite ({energy})"));
        }
    }

    if let Some(forces) = &frame.forces {
        if forces.len() != frame.structure.len() {
            return Err(format!("{} forces for {} atoms", forces.len(), frame.structure.len()));
        }
        if let Some(atom) = forces.iter().position(|f| f.iter().any(|v| !v.is_finite())) {
            return Err(format!("atom {atom} has a non-finite force {:?}", forces[atom]));
        }
    }

    if let Some(stress) = &frame.stress {
        if stress.iter().flatten().any(|v| !v.is_finite()) {
            return Err(format!("stress is not finite: {stress:?}"));
        }
    }
    Ok(())
}

/// Test fixtures: `tests/data` of this crate, and the shared reference data.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::path::PathBuf;

    /// Path of a fixture in `tests/data/`.
    pub fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
    }

    /// The shared MD17 ethanol file: `$SO3KRATES_SHARED_DATA/md17_ethanol_2000.npz` if that
    /// variable is set, else `../../../shared/data/` relative to this crate (the `shared/`
    /// folder beside the checkout). `None` (with a printed note) when it is not there.
    pub fn md17_ethanol() -> Option<PathBuf> {
        let folder = match std::env::var_os("SO3KRATES_SHARED_DATA") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        };
        let path = folder.join("md17_ethanol_2000.npz");
        if path.is_file() {
            Some(path)
        } else {
            println!("skipped: {} not found (set SO3KRATES_SHARED_DATA)", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::fixture;
    use super::*;

    #[test]
    fn read_structures_dispatches_on_extension() {
        let keys = ExtxyzKeys::mace();

        let from_npz = read_structures(&fixture("sgdml_e2d.npz"), &keys).unwrap();
        assert_eq!(from_npz.len(), 3);

        let from_xyz = read_structures(&fixture("ase_written.extxyz"), &keys).unwrap();
        assert_eq!(from_xyz.len(), 3);

        let from_plain = read_structures(&fixture("plain.xyz"), &keys).unwrap();
        assert_eq!(from_plain.len(), 2);
    }

    #[test]
    fn read_structures_rejects_unknown_extensions() {
        let keys = ExtxyzKeys::default();

        for name in ["data.h5", "data"] {
            let err = read_structures(Path::new(name), &keys).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(".npz, .xyz or .extxyz"), "{message}");
            assert!(matches!(err, CoreError::Data { .. }));
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = read_structures(Path::new("/nonexistent/x.npz"), &ExtxyzKeys::default()).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/x.npz: "), "{err}");
    }

    #[test]
    fn check_frame_names_the_bad_label() {
        let structure = Structure::molecule(vec![1, 1], vec![[0.0; 3], [0.7, 0.0, 0.0]]);
        let mut frame =
            LabelledStructure { structure, energy: Some(f64::INFINITY), forces: None, stress: None };
        assert!(check_frame(&frame).unwrap_err().contains("energy is not finite"));

        frame.energy = Some(-1.0);
        frame.forces = Some(vec![[0.0; 3], [0.0, f64::NAN, 0.0]]);
        assert!(check_frame(&frame).unwrap_err().contains("atom 1 has a non-finite force"));

        frame.forces = Some(vec![[0.0; 3]]);
        assert!(check_frame(&frame).unwrap_err().contains("1 forces for 2 atoms"));
    }
}
