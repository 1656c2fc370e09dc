//! i-PI interoperability against a real server: ASE's `SocketIOCalculator` runs velocity
//! Verlet dynamics on ethanol and takes its forces from `so3krates ipi` over a unix socket
//! and over TCP. What ASE received must equal a direct evaluation of the model at the same
//! positions (1e-6 relative): the unit conversions (Å/Bohr, eV/Hartree) and the wire layout
//! are right, and the species come from the structure file.
//!
//! Needs Python with ASE (`.ci/run` installs it). Without ASE the test is skipped with a
//! message, except under CI (`CI` set), where it fails.

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

use so3krates_core::backend::CpuBackend;
use so3krates_core::io::{read_extxyz, write_extxyz, ExtxyzKeys, LabelledStructure};
use so3krates_core::Model;

fn write_ethanol(dir: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ethanol_gfn2_500K.xyz");
    let first = read_extxyz(&shipped, &ExtxyzKeys::default()).unwrap().remove(0);
    let path = dir.join("ethanol.xyz");
    let frame = LabelledStructure { structure: first.structure, energy: None, forces: None, stress: None };
    let mut bytes = Vec::new();
    write_extxyz(&mut bytes, &[frame]).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn drive_with_ase(mode: &str, endpoint: &str) {
    if !external_tool_available(&["python3", "-c", "import ase"], "pip install ase") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let structure = write_ethanol(dir.path());
    let output = dir.path().join("ase.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/ase_socketio.py");
    let status = Command::new("python3")
        .arg(&script)
        .args([env!("CARGO_BIN_EXE_so3krates"), demo_model().to_str().unwrap()])
        .args([structure.to_str().unwrap(), output.to_str().unwrap(), mode, endpoint, "8"])
        .status()
        .unwrap();
    assert!(status.success(), "the ASE script failed: {status}");

    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    assert_eq!(record["client_returncode"], 0, "so3krates ipi did not exit cleanly when ASE hung up");
    let frames = record["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 9, "8 steps and the start");

    let model = Model::<CpuBackend>::load(&demo_model(), &Default::default()).unwrap();
    let template = read_extxyz(&structure, &ExtxyzKeys::default()).unwrap().remove(0).structure;
    let as_vectors = |value: &serde_json::Value| -> Vec<[f64; 3]> {
        value.as_array().unwrap().iter().map(|row| [0, 1, 2].map(|c| row[c].as_f64().unwrap())).collect()
    };
    let mut moved = 0.0f64;
    for (k, frame) in frames.iter().enumerate() {
        let mut structure = template.clone();
        structure.positions = as_vectors(&frame["positions"]);
        moved = moved.max((structure.positions[0][0] - template.positions[0][0]).abs());
        let direct = &model.energy_forces(&[structure]).unwrap()[0];

        let energy = frame["energy"].as_f64().unwrap();
        assert!(
            (energy - direct.energy).abs() <= 1e-6 * direct.energy.abs(),
            "frame {k}: {energy} vs {}",
            direct.energy
        );
        let forces = as_vectors(&frame["forces"]);
        let scale = direct.forces.iter().flatten().fold(0.0f64, |m, f| m.max(f.abs()));
        for (a, b) in forces.iter().flatten().zip(direct.forces.iter().flatten()) {
            assert!((a - b).abs() <= 1e-6 * scale, "frame {k}: force {a} vs {b}");
        }
    }
    assert!(moved > 1e-4, "the atoms did not move: ASE's dynamics did not run");
}

#[test]
fn ase_socketio_calculator_drives_our_client_over_a_unix_socket() {
    drive_with_ase("--unix", &format!("so3krates-test-{}", std::process::id()));
}

#[test]
fn ase_socketio_calculator_drives_our_client_over_tcp() {
    // A port from the process id, away from i-PI's default 31415.
    let port = 20_000 + std::process::id() % 20_000;
    drive_with_ase("--port", &port.to_string());
}
