//! Model files: a round trip keeps every number, loads on another backend, and files of
//! another format version or with missing fields are refused with a clear message.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde::Serialize;
use so3krates_core::backend::{load_predictor, CpuBackend, CpuF64Backend, DeviceKind};
use so3krates_core::model_file::{FORMAT_NAME, FORMAT_VERSION};
use so3krates_core::{Model, ModelMetadata, Units};

fn temporary_path(name: &str) -> std::path::PathBuf {
    let directory = std::env::temp_dir().join(format!("so3krates-core-tests-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    directory.join(name)
}

fn trained_looking_model() -> Model<CpuF64Backend> {
    let untrained = f64_model(small_config());
    let metadata = ModelMetadata {
        config: small_config(),
        energy_shifts: BTreeMap::from([(1, -13.6), (6, -1029.8), (8, -2041.2)]),
        units: Units { energy: "kcal/mol".into(), length: "Å".into() },
    };
    Model::from_network(untrained.network(), metadata, &Default::default())
}

#[test]
fn a_saved_model_predicts_the_same_after_loading() {
    let model = trained_looking_model();
    let path = temporary_path("roundtrip.so3krates");
    model.save(&path).unwrap();
    let loaded = Model::<CpuF64Backend>::load(&path, &Default::default()).unwrap();
    assert_eq!(loaded.metadata(), model.metadata());

    let structures = [distorted_ethanol(30)];
    let before = &model.energy_forces(&structures).unwrap()[0];
    let after = &loaded.energy_forces(&structures).unwrap()[0];
    assert_eq!(before.energy, after.energy);
    assert_eq!(before.forces, after.forces);
    // Shifts are part of the energy: 2 C, 1 O, 6 H.
    let shift = 2.0 * -1029.8 - 2041.2 + 6.0 * -13.6;
    let unshifted = f64_model(small_config()).energy_forces(&structures).unwrap()[0].energy;
    assert!((before.energy - (unshifted + shift)).abs() < 1e-9);
}

#[test]
fn an_f64_model_file_loads_on_the_f32_backend() {
    let model = trained_looking_model();
    let path = temporary_path("cross-backend.so3krates");
    model.save(&path).unwrap();
    let on_f32 = Model::<CpuBackend>::load(&path, &Default::default()).unwrap();
    let structures = [distorted_ethanol(31)];
    let exact = &model.energy_forces(&structures).unwrap()[0];
    let single = &on_f32.energy_forces(&structures).unwrap()[0];
    assert!((exact.energy - single.energy).abs() < 1e-6 * exact.energy.abs());
    assert!(max_force_difference(&exact.forces, &single.forces) < 1e-4 * force_scale(&exact.forces));

    let predictor = load_predictor(&path, DeviceKind::CpuF64).unwrap();
    assert_eq!(predictor.units().energy, "kcal/mol");
    assert_eq!(predictor.predict(&structures, false).unwrap()[0].energy, exact.energy);
}

#[test]
fn elements_without_a_shift_are_refused() {
    let model = trained_looking_model();
    let error =
        model.energy_forces(&[so3krates_core::Structure::molecule(vec![7], vec![[0.0; 3]])]).unwrap_err();
    assert!(error.to_string().contains("Z=7"), "{error}");
}

#[derive(Serialize)]
struct OtherVersion {
    format: String,
    format_version: u32,
}

#[derive(Serialize)]
struct WithoutMetadata {
    format: String,
    format_version: u32,
    #[serde(with = "serde_bytes")]
    weights: Vec<u8>,
}

#[test]
fn other_versions_missing_fields_and_foreign_files_are_clear_errors() {
    let load = |name: &str, bytes: Vec<u8>| {
        let path = temporary_path(name);
        std::fs::write(&path, bytes).unwrap();
        Model::<CpuF64Backend>::load(&path, &Default::default()).unwrap_err().to_string()
    };

    let newer = OtherVersion { format: FORMAT_NAME.into(), format_version: FORMAT_VERSION + 1 };
    let message = load("newer.so3krates", rmp_serde::to_vec_named(&newer).unwrap());
    assert!(message.contains("newer.so3krates") && message.contains("format version 2"), "{message}");

    let missing =
        WithoutMetadata { format: FORMAT_NAME.into(), format_version: FORMAT_VERSION, weights: vec![] };
    let message = load("missing.so3krates", rmp_serde::to_vec_named(&missing).unwrap());
    assert!(message.contains("missing field `metadata`"), "{message}");

    let message = load("foreign.so3krates", b"not a model".to_vec());
    assert!(message.contains("not a so3krates-rs model file"), "{message}");

    let message = Model::<CpuF64Backend>::load(&temporary_path("absent.so3krates"), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("absent.so3krates"), "{message}");
}

#[test]
fn unavailable_devices_are_named_errors() {
    let path = temporary_path("device.so3krates");
    trained_looking_model().save(&path).unwrap();
    #[cfg(not(feature = "cuda"))]
    {
        let message = load_predictor(&path, DeviceKind::Cuda).err().unwrap().to_string();
        assert!(message.contains("--features cuda"), "{message}");
    }
    assert!("tpu".parse::<DeviceKind>().is_err());
}
