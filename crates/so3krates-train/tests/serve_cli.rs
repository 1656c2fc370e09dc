//! `so3krates serve` as a user runs it: it listens on the address it logs, answers
//! `POST /v1/predict` like the model file evaluated directly, and on SIGTERM finishes and
//! exits 0 with a summary.

mod common;

use common::*;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use so3krates_core::backend::CpuBackend;
use so3krates_core::{Model, Structure};

#[test]
fn serve_answers_over_http_and_stops_cleanly_on_sigterm() {
    let (mut server, mut log, address) = start_server();

    let water =
        Structure::molecule(vec![8, 1, 1], vec![[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]);
    let body = json!({ "structures": [{ "symbols": ["O", "H", "H"], "positions": water.positions }] });
    let answer: Value = reqwest::blocking::Client::new()
        .post(format!("http://{address}/v1/predict"))
        .json(&body)
        .send()
        .expect("the server answers")
        .json()
        .expect("JSON");
    let direct = &Model::<CpuBackend>::load(&demo_model(), &Default::default())
        .unwrap()
        .energy_forces(&[water])
        .unwrap()[0];
    let energy = answer["results"][0]["energy"].as_f64().expect("an energy");
    assert!((energy - direct.energy).abs() <= 1e-6 * direct.energy.abs(), "{energy} vs {}", direct.energy);
    assert_eq!(answer["units"]["energy"], "eV");

    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut log, &mut rest).unwrap();
    let status = server.wait().unwrap();
    assert!(status.success(), "exit status {status} after SIGTERM; log:\n{rest}");
    assert!(rest.contains("SIGTERM received"), "{rest}");
    assert!(rest.contains("serve: 1 requests (0 errors), 1 structures in 1 model calls"), "{rest}");
}

/// Starts `so3krates serve` on a free port and returns the child and its address. The
/// callers stop and wait for the child; if the start fails the test panics and its process
/// ends with it.
#[allow(clippy::zombie_processes)]
fn start_server() -> (std::process::Child, BufReader<std::process::ChildStderr>, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_so3krates"))
        .args(["serve", "--model", demo_model().to_str().unwrap(), "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("so3krates serve starts");
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let started = Instant::now();
    let mut line = String::new();
    while started.elapsed() < Duration::from_secs(60) {
        line.clear();
        if log.read_line(&mut line).unwrap() == 0 {
            break;
        }
        // The start line names the bound address ("... listening address=127.0.0.1:PORT ...").
        if let Some(address) = line.split_whitespace().find_map(|word| word.strip_prefix("address=")) {
            return (server, log, address.to_string());
        }
    }
    let _ = server.kill();
    panic!("no listening line in the log; last line: {line}")
}

/// Property-based requests generated from `/openapi.json` (valid and invalid bodies, odd
/// headers) never get a 5xx, and every answer conforms to the documented status codes,
/// content types and response schemas.
#[test]
fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    if !external_tool_available(&["schemathesis", "--version"], "pip install schemathesis") {
        return;
    }
    let (mut server, _log, address) = start_server();
    let checks =
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
    // Its example cache goes to a scratch folder, not into the source tree.
    let scratch = tempfile::tempdir().unwrap();
    let run = Command::new("schemathesis")
        .current_dir(scratch.path())
        .args(["run", &format!("http://{address}/openapi.json"), "--checks", checks])
        .args(["--max-examples", "60", "--seed", "1", "--workers", "1", "--max-time", "45"])
        .output()
        .expect("schemathesis runs");
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}
