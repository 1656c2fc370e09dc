//! `so3krates md` and `so3krates relax` as a user runs them on a model that `so3krates
//! train` wrote (the demo model): the trajectory is extended XYZ that ASE reads with energies
//! and forces, the thermo log has a row per written frame, and bad arguments are refused
//! with a message.
//!
//! The ASE check needs Python with ASE (`.ci/run` installs it); without it only the Rust
//! reader checks the trajectory, except under CI (`CI` set), where ASE is required.

mod common;

use common::*;

use std::process::{Command, Output};

use so3krates_core::io::{read_extxyz, ExtxyzKeys};

fn so3krates(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_so3krates")).args(args).output().expect("so3krates runs")
}

#[test]
fn md_writes_a_trajectory_that_ase_reads_and_a_thermo_log() {
    let dir = tempfile::tempdir().unwrap();
    let trajectory = dir.path().join("md.xyz");
    let output = so3krates(&[
        "md",
        "--model",
        demo_model().to_str().unwrap(),
        "--structure",
        shipped_data().to_str().unwrap(),
        "--frame",
        "3",
        "--steps",
        "40",
        "--dt",
        "0.5",
        "--temperature",
        "300",
        "--friction",
        "0.01",
        "--interval",
        "10",
        "--seed",
        "7",
        "--trajectory",
        trajectory.to_str().unwrap(),
    ]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("Langevin NVT at 300 K"), "{log}");

    // The start and every 10th step: 5 frames, each with energy and forces.
    let frames = read_extxyz(&trajectory, &ExtxyzKeys::default()).expect("our reader reads the trajectory");
    assert_eq!(frames.len(), 5);
    assert!(frames.iter().all(|f| f.energy.is_some() && f.forces.as_ref().is_some_and(|f| f.len() == 9)));
    assert_ne!(frames[0].structure.positions, frames[4].structure.positions, "the atoms moved");

    let thermo = std::fs::read_to_string(dir.path().join("md.csv")).unwrap();
    let mut lines = thermo.lines();
    let header = lines.next().unwrap();
    for column in ["time", "potential", "kinetic", "total", "temperature"] {
        assert!(header.contains(column), "thermo header {header:?} lacks {column}");
    }
    assert_eq!(lines.count(), 5, "a thermo row per written frame");

    if external_tool_available(&["python3", "-c", "import ase"], "pip install ase") {
        let script = format!(
            "from ase.io import read\n\
             frames = read({:?}, ':')\n\
             assert len(frames) == 5, len(frames)\n\
             for a in frames:\n    e = a.get_potential_energy(); f = a.get_forces(); assert f.shape == (9, 3)\n\
             print(len(frames), frames[-1].get_potential_energy())",
            trajectory.to_str().unwrap()
        );
        let ase = Command::new("python3").args(["-c", &script]).output().unwrap();
        assert!(
            ase.status.success(),
            "ASE cannot read the trajectory: {}",
            String::from_utf8_lossy(&ase.stderr)
        );
        let printed = String::from_utf8_lossy(&ase.stdout);
        let ase_energy: f64 = printed.split_whitespace().nth(1).unwrap().parse().unwrap();
        let energy = frames[4].energy.unwrap();
        assert!(
            (ase_energy - energy).abs() <= 1e-9 * energy.abs(),
            "ASE read {ase_energy} eV, we wrote {energy} eV"
        );
    }
}

#[test]
fn relax_lowers_the_energy_to_the_force_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let relaxed = dir.path().join("relaxed.xyz");
    let output = so3krates(&[
        "relax",
        "--model",
        demo_model().to_str().unwrap(),
        "--structure",
        shipped_data().to_str().unwrap(),
        "--fmax",
        "0.02",
        "--output",
        relaxed.to_str().unwrap(),
    ]);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("relax: converged"), "{log}");

    let frame = read_extxyz(&relaxed, &ExtxyzKeys::default()).unwrap().remove(0);
    let fmax = frame
        .forces
        .unwrap()
        .iter()
        .map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt())
        .fold(0.0, f64::max);
    assert!(fmax < 0.02, "largest force {fmax} eV/Å in the written structure");
}

#[test]
fn bad_md_arguments_are_refused_with_a_message() {
    let model = demo_model();
    let data = shipped_data();
    let cases: [(&[&str], &str); 3] = [
        (&["--steps", "10", "--dt=-1"], "time step"),
        (&["--steps", "10", "--frame", "100000"], "frame"),
        (&["--steps", "10", "--temperature=-5"], "temperature"),
    ];
    for (extra, word) in cases {
        let dir = tempfile::tempdir().unwrap();
        let trajectory = dir.path().join("md.xyz");
        let mut args = vec!["md", "--model", model.to_str().unwrap(), "--structure", data.to_str().unwrap()];
        args.extend_from_slice(&["--trajectory", trajectory.to_str().unwrap()]);
        args.extend_from_slice(extra);
        let output = so3krates(&args);
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{extra:?} was accepted");
        assert!(log.to_lowercase().contains(word), "{extra:?}: the message does not say {word:?}: {log}");
        assert!(!log.contains("panicked"), "{log}");
    }
}
