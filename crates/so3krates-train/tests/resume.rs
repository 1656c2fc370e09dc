//! `--resume` continues an interrupted run to the same result as an uninterrupted one:
//! same weights, optimizer state, data order, weight average, plateau state and best model.

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use common::*;
use so3krates_core::backend::CpuBackend;
use so3krates_core::model_file;
use so3krates_core::tensors::to_f64_vec;
use so3krates_train::checkpoint::Checkpoint;
use so3krates_train::metrics::read_metrics;
use so3krates_train::{train, StartMode, TrainConfig};

/// Every weight of a model file's network, in module order (parameter ids, which are
/// random per run, left out).
fn weights(model_file_bytes: &[u8]) -> Vec<f64> {
    struct Flatten(Vec<f64>);
    impl<B: Backend> ModuleVisitor<B> for Flatten {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.extend(to_f64_vec(param.val()));
        }
    }
    let (network, _) = model_file::from_bytes::<CpuBackend>(model_file_bytes, &Default::default()).unwrap();
    let mut flatten = Flatten(Vec::new());
    network.visit(&mut flatten);
    flatten.0
}

fn config(run: &std::path::Path, max_steps: u64) -> TrainConfig {
    shipped_config(
        "tiny.toml",
        &[
            &format!("run_dir={}", toml_path(run)),
            &format!("data.path={}", toml_path(&shipped_data())),
            &format!("training.max_steps={max_steps}"),
            "training.eval_every=10",
            // Exercise every piece of state a checkpoint must carry.
            "training.ema_decay=0.9",
            "training.clip_grad_norm=1.0",
            "training.plateau.patience=1",
            "training.plateau.factor=0.8",
        ],
    )
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let device = Default::default();
    let whole = tempfile::tempdir().unwrap();
    let parts = tempfile::tempdir().unwrap();

    let uninterrupted = train::<CpuBackend>(&config(whole.path(), 40), StartMode::Fresh, &device).unwrap();
    // Interrupted between two validations (step 25), then resumed to step 40.
    let first = train::<CpuBackend>(&config(parts.path(), 25), StartMode::Fresh, &device).unwrap();
    assert_eq!(first.steps, 25);
    let resumed = train::<CpuBackend>(&config(parts.path(), 40), StartMode::Resume, &device).unwrap();
    assert_eq!((resumed.steps, resumed.session_steps), (40, 15));

    let a = Checkpoint::load(&whole.path().join("checkpoints/latest.ckpt")).unwrap();
    let b = Checkpoint::load(&parts.path().join("checkpoints/latest.ckpt")).unwrap();
    // Exactly equal: the data order, Adam's moments and the average were all restored (a
    // wrong optimizer state would show in the weights 15 steps later).
    assert!(weights(&a.network) == weights(&b.network), "trained weights differ");
    assert!(weights(a.average.as_ref().unwrap()) == weights(b.average.as_ref().unwrap()), "averages differ");
    assert!(
        weights(a.best_model.as_ref().unwrap()) == weights(b.best_model.as_ref().unwrap()),
        "best differs"
    );
    let (mut sa, mut sb) = (a.state.clone(), b.state.clone());
    sa.wall_seconds = 0.0;
    sb.wall_seconds = 0.0;
    assert_eq!(sa, sb);
    assert!(sa.plateau_factor < 1.0 || sa.best_step == Some(40), "the plateau was not exercised");

    let best_a = std::fs::read(whole.path().join("best.so3krates")).unwrap();
    let best_b = std::fs::read(parts.path().join("best.so3krates")).unwrap();
    assert!(weights(&best_a) == weights(&best_b), "best.so3krates differs");
    assert_eq!(uninterrupted.test, resumed.test);

    // The regular validations agree; the interrupted run has one extra row (step 25).
    let rows_a = read_metrics(whole.path()).unwrap();
    let rows_b: Vec<_> = read_metrics(parts.path()).unwrap().into_iter().filter(|r| r.step != 25).collect();
    assert_eq!(rows_a.len(), rows_b.len());
    for (x, y) in rows_a.iter().zip(&rows_b) {
        assert_eq!((x.step, x.valid_loss, x.train_loss), (y.step, y.valid_loss, y.train_loss));
    }
}

#[test]
fn resume_refuses_a_changed_config_and_fresh_refuses_an_existing_run() {
    let device = Default::default();
    let run = tempfile::tempdir().unwrap();
    train::<CpuBackend>(&config(run.path(), 5), StartMode::Fresh, &device).unwrap();

    let error = train::<CpuBackend>(&config(run.path(), 10), StartMode::Fresh, &device).unwrap_err();
    assert!(format!("{error:#}").contains("--resume"), "{error:#}");

    let mut changed = config(run.path(), 10);
    changed.training.learning_rate = 0.1;
    let error = train::<CpuBackend>(&changed, StartMode::Resume, &device).unwrap_err();
    assert!(format!("{error:#}").contains("training.learning_rate"), "{error:#}");

    let empty = tempfile::tempdir().unwrap();
    let error = train::<CpuBackend>(&config(empty.path(), 10), StartMode::Resume, &device).unwrap_err();
    assert!(format!("{error:#}").contains("no checkpoint"), "{error:#}");
}
