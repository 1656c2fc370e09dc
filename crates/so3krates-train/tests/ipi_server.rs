//! i-PI itself (PyPI package `ipi`) drives `so3krates ipi` over a unix socket: a short
//! classical NVE run and a path-integral NVE run with four beads. i-PI's potential at the
//! first step equals a direct evaluation of the model (eV, 1e-6 relative), and i-PI's
//! conserved quantity stays flat while the kinetic energy changes (forces consistent with
//! the energy, in the right units).
//!
//! Needs the `i-pi` command (`.ci/run` installs it). Without it the tests are skipped with
//! a message, except under CI (`CI` set), where they fail.

mod common;

use common::*;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use so3krates_core::backend::CpuBackend;
use so3krates_core::io::{chemical_symbol, read_extxyz, write_extxyz, ExtxyzKeys, LabelledStructure};
use so3krates_core::{Model, Structure};

/// i-PI's input: the start geometry in its xyz dialect (units in the comment line) and an
/// NVE simulation of `beads` beads whose forces come from the unix socket `socket`.
fn write_ipi_input(dir: &Path, structure: &Structure, socket: &str, beads: usize, steps: usize) {
    let mut xyz = format!(
        "{}\n# CELL(abcABC): 20.0 20.0 20.0 90.0 90.0 90.0 positions{{angstrom}} cell{{angstrom}}\n",
        structure.len()
    );
    for (z, p) in structure.numbers.iter().zip(&structure.positions) {
        xyz += &format!("{} {:.12} {:.12} {:.12}\n", chemical_symbol(*z).unwrap(), p[0], p[1], p[2]);
    }
    std::fs::write(dir.join("init.xyz"), xyz).unwrap();
    let input = format!(
        r#"<simulation verbosity="low">
  <output prefix="sim">
    <properties stride="1" filename="out"> [ step, conserved{{electronvolt}}, potential{{electronvolt}}, kinetic_md{{electronvolt}} ] </properties>
  </output>
  <total_steps>{steps}</total_steps>
  <prng><seed>12345</seed></prng>
  <ffsocket name="so3krates" mode="unix" pbc="false"><address>{socket}</address></ffsocket>
  <system>
    <initialize nbeads="{beads}">
      <file mode="xyz">init.xyz</file>
      <velocities mode="thermal" units="kelvin">300</velocities>
    </initialize>
    <forces><force forcefield="so3krates"/></forces>
    <ensemble><temperature units="kelvin">300</temperature></ensemble>
    <motion mode="dynamics">
      <dynamics mode="nve"><timestep units="femtosecond">0.25</timestep></dynamics>
    </motion>
  </system>
</simulation>
"#
    );
    std::fs::write(dir.join("input.xml"), input).unwrap();
}

/// Rows of i-PI's property file: (step, conserved, potential, kinetic), eV.
fn read_properties(path: &Path) -> Vec<[f64; 4]> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let values: Vec<f64> = line.split_whitespace().map(|v| v.parse().unwrap()).collect();
            [values[0], values[1], values[2], values[3]]
        })
        .collect()
}

fn std_dev(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    (values.map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

fn run_ipi(beads: usize, steps: usize) {
    if !external_tool_available(&["i-pi", "-h"], "pip install ipi") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let structure = read_extxyz(&shipped_data(), &ExtxyzKeys::default()).unwrap().remove(0).structure;
    let socket = format!("so3k-{}-{beads}", std::process::id());
    write_ipi_input(dir.path(), &structure, &socket, beads, steps);
    let species = dir.path().join("ethanol.xyz");
    let frame = LabelledStructure { structure: structure.clone(), energy: None, forces: None, stress: None };
    let mut bytes = Vec::new();
    write_extxyz(&mut bytes, &[frame]).unwrap();
    std::fs::write(&species, bytes).unwrap();

    let mut ipi = Command::new("i-pi")
        .arg("input.xml")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("i-pi starts");
    // Our client retries until i-PI's socket exists.
    let client = Command::new(env!("CARGO_BIN_EXE_so3krates"))
        .args(["ipi", "--model", demo_model().to_str().unwrap(), "--structure", species.to_str().unwrap()])
        .args(["--unix", &socket, "--connect-timeout", "60"])
        .output()
        .expect("so3krates ipi runs");
    let started = Instant::now();
    while ipi.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = ipi.kill();
            panic!("i-PI did not finish within a minute of our client");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let ipi_output = ipi.wait_with_output().unwrap();
    let client_log = String::from_utf8_lossy(&client.stderr);
    assert!(client.status.success(), "so3krates ipi failed: {client_log}");
    assert!(ipi_output.status.success(), "i-PI failed: {}", String::from_utf8_lossy(&ipi_output.stderr));
    assert!(
        client_log.contains(&format!("server sent EXIT after {} force evaluations", beads * (steps + 1))),
        "one force call per bead and step: {client_log}"
    );

    let rows = read_properties(&dir.path().join("sim.out"));
    assert_eq!(rows.len(), steps + 1, "a property row per step and the start");
    // All beads start on the file's geometry: the bead-averaged potential is its energy.
    let model = Model::<CpuBackend>::load(&demo_model(), &Default::default()).unwrap();
    let direct = model.energy_forces(&[structure]).unwrap()[0].energy;
    let potential = rows[0][2];
    assert!(
        (potential - direct).abs() <= 1e-6 * direct.abs(),
        "i-PI's potential {potential} eV vs direct {direct} eV"
    );

    let conserved = std_dev(rows.iter().map(|r| r[1]));
    let kinetic = std_dev(rows.iter().map(|r| r[3]));
    println!("i-PI NVE, {beads} bead(s), {steps} steps of 0.25 fs: σ(conserved) {conserved:.3e} eV, σ(kinetic) {kinetic:.3e} eV");
    assert!(kinetic > 1e-3, "the atoms barely moved: σ(kinetic) {kinetic} eV");
    assert!(
        conserved < 0.05 * kinetic,
        "i-PI's conserved quantity is not conserved: σ {conserved} eV vs σ(kinetic) {kinetic} eV"
    );
}

#[test]
fn ipi_runs_classical_nve_with_our_forces() {
    run_ipi(1, 40);
}

#[test]
fn ipi_runs_path_integral_nve_with_four_beads() {
    run_ipi(4, 20);
}
