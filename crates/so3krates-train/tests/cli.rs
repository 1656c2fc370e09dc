//! The `so3krates` binary end to end: train (tiny config on the shipped data), evaluate
//! (default test split, all frames, per-structure CSV), predict (extended XYZ read back),
//! and clear errors for bad input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use so3krates_core::io::{read_extxyz, ExtxyzKeys};

fn so3krates(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_so3krates"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into(), String::from_utf8_lossy(&output.stderr).into())
}

/// `<prefix>: E MAE x … F MAE z …` → (x, z).
fn parse_errors(line: &str) -> (f64, f64) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |key: &str| -> f64 {
        let k = words.windows(2).position(|w| w[0] == key && w[1] == "MAE").expect(line);
        words[k + 2].parse().expect(line)
    };
    (after("E"), after("F"))
}

#[test]
fn train_evaluate_predict_end_to_end() {
    let run = tempfile::tempdir().unwrap();
    let run_dir = run.path().to_str().unwrap();
    let output = so3krates(&["train", "--config", "configs/tiny.toml", "--run-dir", run_dir]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "train failed:\n{stderr}");
    let test_line = stdout.lines().find(|l| l.starts_with("test: E MAE")).expect("a test line");
    assert!(test_line.contains("eV/Å") && test_line.contains("(20 structures)"), "{test_line}");
    assert!(stderr.contains("step 20 (epoch"), "no validation summary:\n{stderr}");
    for file in [
        "config.toml",
        "splits.json",
        "best.so3krates",
        "metrics.csv",
        "learning_curve.png",
        "test_metrics.json",
        "checkpoints/latest.ckpt",
    ] {
        assert!(run.path().join(file).is_file(), "{file} missing");
    }

    // evaluate: the run folder alone → its data file's test split, same numbers as train.
    let output = so3krates(&["evaluate", "--model", run_dir]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "evaluate failed:\n{stderr}");
    let line = stdout.lines().find(|l| l.starts_with("test: ")).expect("a test line");
    let (e, f) = parse_errors(line);
    let (e_train, f_train) = parse_errors(test_line);
    assert!((e - e_train).abs() < 1e-3 && (f - f_train).abs() < 1e-3, "{line} vs {test_line}");

    // evaluate: a model file, all frames, per-structure CSV.
    let csv = run.path().join("per_structure.csv");
    let model = run.path().join("best.so3krates");
    let output = so3krates(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--data",
        "data/ethanol_gfn2_500K.xyz",
        "--per-structure",
        csv.to_str().unwrap(),
        "--batch-size",
        "500",
    ]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "evaluate --split all failed:\n{stderr}");
    assert!(stdout.starts_with("all: E MAE") && stdout.contains("(1500 structures)"), "{stdout}");
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().count(), 1501);

    // predict: extended XYZ with energy and forces, read back.
    let input = run.path().join("input.xyz");
    let frames = read_extxyz(&shipped_data(), &ExtxyzKeys::default()).unwrap();
    let mut bytes = Vec::new();
    let unlabelled: Vec<_> = frames[..3]
        .iter()
        .map(|f| so3krates_core::io::LabelledStructure {
            energy: None,
            forces: None,
            stress: None,
            ..f.clone()
        })
        .collect();
    so3krates_core::io::write_extxyz(&mut bytes, &unlabelled).unwrap();
    std::fs::write(&input, bytes).unwrap();
    let out = run.path().join("out.xyz");
    let output = so3krates(&[
        "predict",
        "--model",
        run_dir,
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "predict failed:\n{}", text(&output).1);
    let predicted = read_extxyz(&out, &ExtxyzKeys::default()).unwrap();
    assert_eq!(predicted.len(), 3);
    for (p, f) in predicted.iter().zip(&frames) {
        assert_eq!(p.structure.numbers, f.structure.numbers);
        assert!(p.energy.unwrap().is_finite());
        assert_eq!(p.forces.as_ref().unwrap().len(), 9);
    }
}

#[test]
fn bad_input_gives_one_clear_error() {
    let run = tempfile::tempdir().unwrap();
    let run_dir = run.path().join("run");
    let tiny = ["train", "--config", "configs/tiny.toml", "--run-dir", run_dir.to_str().unwrap()];
    let cases: [(&[&str], &str); 6] = [
        (&["--set", "training.n_trian=5"], "unknown key \"training.n_trian\""),
        (&["--set", "model.features=15"], "divisible"),
        (&["--set", "data.path=nowhere.xyz"], "nowhere.xyz"),
        (&["--set", "training.n_train=5000"], "1500 frames"),
        (&["--resume"], "no checkpoint"),
        (&["--device", "tpu"], "unknown device"),
    ];
    let other: [(&[&str], &str); 2] = [
        (&["train", "--config", "configs/missing.toml"], "configs/missing.toml"),
        (&["evaluate", "--model", "no/such/run"], "no/such/run"),
    ];
    let cases = cases
        .iter()
        .map(|(args, expected)| ([&tiny[..], args].concat(), *expected))
        .chain(other.iter().map(|(args, expected)| (args.to_vec(), *expected)));
    for (args, expected) in cases {
        let output = so3krates(&args);
        let (_, stderr) = text(&output);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr.contains("error: ") && stderr.contains(expected), "{args:?}:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    }
    assert!(!run_dir.exists(), "a failed start left a run folder");
}

#[test]
fn shipped_configs_are_valid() {
    for name in ["md17-ethanol.toml", "demo.toml", "tiny.toml"] {
        let config = shipped_config(name, &[]);
        assert!(Path::new(&config.run_dir).starts_with("runs"), "{name}: run_dir {:?}", config.run_dir);
    }
    let md17 = shipped_config("md17-ethanol.toml", &[]);
    assert_eq!(md17.model, so3krates_core::ModelConfig::default());
    assert_eq!((md17.training.n_train, md17.training.n_valid, md17.training.batch_size()), (1000, 100, 10));
}

#[test]
fn bench_reports_each_case_and_an_unusable_device_is_a_clear_error() {
    let output = so3krates(&[
        "bench",
        "--batches",
        "1,2",
        "--large-atoms",
        "40",
        "--train-batch",
        "2",
        "--seconds",
        "0.05",
    ]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for (line, unit) in lines.iter().zip(["structures/s", "structures/s", "atoms/s", "steps/s"]) {
        assert!(line.contains(unit), "{line:?} lacks {unit}");
        let throughput: f64 = line.split_whitespace().find_map(|w| w.parse().ok()).expect(line);
        assert!(throughput > 0.0, "{line}");
    }
    assert!(lines[2].contains("45 atoms"), "40 atoms round up to 5 ethanol copies: {}", lines[2]);

    // Without an NVIDIA driver, either the feature is missing or the device is.
    if Command::new("nvidia-smi").output().is_ok_and(|o| o.status.success()) {
        return;
    }
    let output = so3krates(&["bench", "--device", "cuda", "--seconds", "0.05"]);
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("device cuda is not available"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
