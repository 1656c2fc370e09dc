//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use so3krates_train::TrainConfig;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A config of `configs/`, with overrides.
pub fn shipped_config(name: &str, overrides: &[&str]) -> TrainConfig {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    TrainConfig::load(&repo_root().join("configs").join(name), &overrides).expect("config loads")
}

/// The shipped GFN2-xTB ethanol data (eV, Å).
pub fn shipped_data() -> PathBuf {
    repo_root().join("data/ethanol_gfn2_500K.xyz")
}

/// The shared MD17 ethanol file: `$SO3KRATES_SHARED_DATA/md17_ethanol_2000.npz` if that
/// variable is set, else `shared/data/` beside the checkout. `None` (with a printed note)
/// when it is not there.
pub fn md17_ethanol() -> Option<PathBuf> {
    let folder = match std::env::var_os("SO3KRATES_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().join("../shared/data"),
    };
    let path = folder.join("md17_ethanol_2000.npz");
    if path.is_file() {
        Some(path)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs with shared/ beside the checkout: {} is missing",
            path.display()
        );
        println!("skipped: {} not found (set SO3KRATES_SHARED_DATA)", path.display());
        None
    }
}

/// The trained demo model (`configs/demo.toml`, ethanol, eV) that the MD tests use too.
pub fn demo_model() -> PathBuf {
    repo_root().join("crates/so3krates-md/tests/data/ethanol_demo.so3krates")
}

/// Whether an external program the interop tests need runs (`probe` exits 0). Without it a
/// test is skipped with a message naming `install`, except under CI (`CI` set), where
/// `.ci/run` installs it and its absence fails the test.
pub fn external_tool_available(probe: &[&str], install: &str) -> bool {
    let found = std::process::Command::new(probe[0])
        .args(&probe[1..])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must provide `{}` ({install})", probe.join(" "));
        println!("skipped: `{}` failed ({install})", probe.join(" "));
    }
    found
}

/// A TOML string value for `--set`.
pub fn toml_path(path: &Path) -> String {
    toml::Value::String(path.display().to_string()).to_string()
}
