//! Output of a run: an extended XYZ trajectory and a CSV thermo log.
//!
//! Both are streamed, one frame or row per write followed by a flush, so an interrupted run
//! leaves every complete frame readable. Energies are in eV and forces in eV/Å whatever the
//! model's own unit, because ASE reads extended XYZ in those units.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use so3krates_core::io::{write_extxyz, LabelledStructure};
use so3krates_core::Structure;

use crate::error::MdError;
use crate::state::MdState;

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> MdError + '_ {
    move |source| MdError::Io { what: path.display().to_string(), source }
}

/// Frames of extended XYZ: positions, forces (`forces`, eV/Å) and `energy` (eV).
pub struct TrajectoryWriter {
    path: PathBuf,
    out: BufWriter<File>,
    frames: usize,
}

impl TrajectoryWriter {
    /// Creates (or truncates) the file.
    pub fn create(path: &Path) -> Result<Self, MdError> {
        let file = File::create(path).map_err(io_error(path))?;
        Ok(Self { path: path.to_path_buf(), out: BufWriter::new(file), frames: 0 })
    }

    /// Appends one frame and flushes it.
    pub fn write(
        &mut self,
        structure: &Structure,
        energy_ev: f64,
        forces_ev_per_angstrom: &[[f64; 3]],
    ) -> Result<(), MdError> {
        let frame = LabelledStructure {
            structure: structure.clone(),
            energy: Some(energy_ev),
            forces: Some(forces_ev_per_angstrom.to_vec()),
            stress: None,
        };
        write_extxyz(&mut self.out, std::slice::from_ref(&frame)).map_err(io_error(&self.path))?;
        self.out.flush().map_err(io_error(&self.path))?;
        self.frames += 1;
        Ok(())
    }

    /// Appends the current frame of a dynamics run.
    pub fn write_state(&mut self, state: &MdState) -> Result<(), MdError> {
        self.write(&state.structure, state.potential_energy_ev, &state.forces)
    }

    /// Frames written so far.
    pub fn frames(&self) -> usize {
        self.frames
    }
}

/// Header of the thermo log.
pub const THERMO_HEADER: &str = "step,time_fs,potential_eV,kinetic_eV,total_eV,temperature_K";

/// The thermo log: one CSV row per observed step.
pub struct ThermoLog {
    path: PathBuf,
    out: BufWriter<File>,
}

impl ThermoLog {
    /// Creates (or truncates) the file and writes the header.
    pub fn create(path: &Path) -> Result<Self, MdError> {
        let file = File::create(path).map_err(io_error(path))?;
        let mut log = Self { path: path.to_path_buf(), out: BufWriter::new(file) };
        writeln!(log.out, "{THERMO_HEADER}").map_err(io_error(path))?;
        Ok(log)
    }

    /// Appends the row of the current state and flushes it.
    pub fn write_state(&mut self, state: &MdState) -> Result<(), MdError> {
        let kinetic = state.kinetic_energy_ev();
        writeln!(
            self.out,
            "{},{},{:?},{:?},{:?},{:?}",
            state.step,
            state.time_fs,
            state.potential_energy_ev,
            kinetic,
            state.potential_energy_ev + kinetic,
            state.temperature_k()
        )
        .and_then(|_| self.out.flush())
        .map_err(io_error(&self.path))
    }
}
