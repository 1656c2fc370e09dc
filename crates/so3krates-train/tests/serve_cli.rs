//! `so3krates serve` as a user runs it: it listens on the address it logs, answers
//! `POST /v1/predict` like the model file evaluated directly, and on SIGTERM finishes and
//! exits 0 with a summary.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use so3krates_core::backend::CpuBackend;
use so3krates_core::{Model, Structure};

fn fixture_model() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../so3krates-md/tests/data/ethanol_demo.so3krates")
}

#[test]
fn serve_answers_over_http_and_stops_cleanly_on_sigterm() {
    let mut server = Command::new(env!("CARGO_BIN_EXE_so3krates"))
        .args(["serve", "--model", fixture_model().to_str().unwrap(), "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("so3krates serve starts");
    let mut log = BufReader::new(server.stderr.take().unwrap());

    // The start line names the bound address ("... listening address=127.0.0.1:PORT ...").
    let started = Instant::now();
    let mut address = None;
    let mut line = String::new();
    while address.is_none() && started.elapsed() < Duration::from_secs(60) {
        line.clear();
        if log.read_line(&mut line).unwrap() == 0 {
            break;
        }
        address = line.split_whitespace().find_map(|word| word.strip_prefix("address=")).map(str::to_string);
    }
    let address = address.unwrap_or_else(|| {
        let _ = server.kill();
        panic!("no listening line in the log; last line: {line}")
    });

    let water = Structure::molecule(vec![8, 1, 1], vec![[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]);
    let body = json!({ "structures": [{ "symbols": ["O", "H", "H"], "positions": water.positions }] });
    let answer: Value = reqwest::blocking::Client::new()
        .post(format!("http://{address}/v1/predict"))
        .json(&body)
        .send()
        .expect("the server answers")
        .json()
        .expect("JSON");
    let direct = &Model::<CpuBackend>::load(&fixture_model(), &Default::default()).unwrap().energy_forces(&[water]).unwrap()[0];
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
