//! The training configuration: a TOML file with `run_dir` and the sections `[data]`,
//! `[model]` and `[training]`, plus `--set key=value` overrides.
//!
//! Relative paths (`run_dir`, `data.path`) are taken relative to the **current working
//! directory**, not to the config file: the shipped configs assume the command runs in the
//! repository root (`cargo run --release -p so3krates-train -- train --config
//! configs/demo.toml`). The run folder keeps a copy of the config with both paths made
//! absolute, so a run can be resumed or evaluated from anywhere.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use so3krates_core::io::ExtxyzKeys;
use so3krates_core::training::LossWeights;
use so3krates_core::ModelConfig;

/// Everything `so3krates train` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Folder of the run: config, splits, checkpoints, metrics, the best model.
    pub run_dir: PathBuf,
    pub data: DataConfig,
    #[serde(default)]
    pub model: ModelConfig,
    pub training: TrainingConfig,
}

/// The data file and its units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// `.npz` (sGDML/MD17/MD22, rMD17) or `.xyz`/`.extxyz` (extended XYZ).
    pub path: PathBuf,
    /// Energy unit of the file ("eV", "kcal/mol", …): stored in the model file and used in
    /// every reported metric. Nothing is converted.
    pub energy_unit: String,
    /// Length unit of the file; must be Å (the model's cutoff and radial basis are in Å).
    #[serde(default = "default_length_unit")]
    pub length_unit: String,
    /// Extended XYZ: comment-line key of the total energy.
    #[serde(default = "default_energy_key")]
    pub energy_key: String,
    /// Extended XYZ: `Properties` column of the forces.
    #[serde(default = "default_forces_key")]
    pub forces_key: String,
    /// Extended XYZ: comment-line key of the stress (read, not trained on).
    #[serde(default = "default_stress_key")]
    pub stress_key: String,
}

/// Reduce-on-plateau: multiply the learning rate by `factor` after `patience` evaluations
/// without a better validation loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlateauConfig {
    pub patience: u32,
    pub factor: f64,
}

/// The optimisation (spec §7). Defaults are the reference CLI's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    /// Training frames.
    pub n_train: usize,
    /// Validation frames (at least 1: they pick the best checkpoint).
    pub n_valid: usize,
    /// Test frames; `None`: all remaining frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_test: Option<usize>,
    /// Seed of the split and of the data order.
    #[serde(default)]
    pub seed: u64,
    /// Structures per step; `None`: 1 / 5 / 10 / 100 for n_train below 500 / 1000 /
    /// 10 000 / above (spec §7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Initial learning rate.
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
    /// The learning rate is multiplied by `decay_rate^(step / decay_steps)` (continuous).
    #[serde(default = "default_decay_rate")]
    pub decay_rate: f64,
    #[serde(default = "default_decay_steps")]
    pub decay_steps: u64,
    /// Training stops once the learning rate is at or below this.
    #[serde(default = "default_min_learning_rate")]
    pub min_learning_rate: f64,
    /// Stop after this many optimisation steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<u64>,
    /// Stop after this many epochs (passes over the training frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_epochs: Option<u64>,
    /// Stop once the run (training and evaluations, summed over resumes) has taken this
    /// many seconds of wall-clock time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wall_seconds: Option<f64>,
    /// Evaluate on the validation set every this many steps; `None`: once per epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_every: Option<u64>,
    /// Structures per forward pass when evaluating.
    #[serde(default = "default_eval_batch_size")]
    pub eval_batch_size: usize,
    /// Weight of the energy MSE (weights are normalised to sum to 1).
    #[serde(default = "default_energy_weight")]
    pub energy_weight: f64,
    /// Weight of the force MSE.
    #[serde(default = "default_forces_weight")]
    pub forces_weight: f64,
    /// Clip the gradient to this global L2 norm (as optax's `clip_by_global_norm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_grad_norm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plateau: Option<PlateauConfig>,
    /// Stop after this many evaluations without a better validation loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping_patience: Option<u32>,
    /// Exponential moving average of the weights, used for validation, the best model and
    /// the test: ema ← d·ema + (1−d)·weights after every step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ema_decay: Option<f64>,
}

fn default_length_unit() -> String {
    "Å".to_string()
}
fn default_energy_key() -> String {
    "energy".to_string()
}
fn default_forces_key() -> String {
    "forces".to_string()
}
fn default_stress_key() -> String {
    "stress".to_string()
}
fn default_learning_rate() -> f64 {
    1e-3
}
fn default_decay_rate() -> f64 {
    0.7
}
fn default_decay_steps() -> u64 {
    100_000
}
fn default_min_learning_rate() -> f64 {
    1e-5
}
fn default_eval_batch_size() -> usize {
    50
}
fn default_energy_weight() -> f64 {
    LossWeights::default().energy
}
fn default_forces_weight() -> f64 {
    LossWeights::default().forces
}

/// Names the length unit may be given as; all mean Å.
const ANGSTROM_NAMES: [&str; 5] = ["Å", "A", "Ang", "angstrom", "Angstrom"];

impl DataConfig {
    /// The extended XYZ label keys.
    pub fn extxyz_keys(&self) -> ExtxyzKeys {
        ExtxyzKeys::new(&self.energy_key, &self.forces_key, &self.stress_key)
    }
}

impl TrainingConfig {
    /// The batch size: as configured, or the spec's rule from the number of training frames.
    pub fn batch_size(&self) -> usize {
        self.batch_size.unwrap_or(match self.n_train {
            n if n < 500 => 1,
            n if n < 1000 => 5,
            n if n < 10_000 => 10,
            _ => 100,
        })
    }

    /// The loss weights.
    pub fn loss_weights(&self) -> LossWeights {
        LossWeights { energy: self.energy_weight, forces: self.forces_weight }
    }

    /// Steps between validations for `steps_per_epoch` steps per epoch.
    pub fn eval_every(&self, steps_per_epoch: u64) -> u64 {
        self.eval_every.unwrap_or(steps_per_epoch).max(1)
    }

    /// Learning rate before any plateau reduction: lr₀ · rate^(step / decay_steps).
    pub fn scheduled_learning_rate(&self, step: u64) -> f64 {
        self.learning_rate * self.decay_rate.powf(step as f64 / self.decay_steps as f64)
    }
}

impl TrainConfig {
    /// Reads a config file and applies `key=value` overrides (see [`apply_override`]).
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::from_toml(&text, overrides).with_context(|| format!("config file {}", path.display()))
    }

    /// Parses TOML text and applies overrides; then validates.
    pub fn from_toml(text: &str, overrides: &[String]) -> Result<Self> {
        let config: Self = if overrides.is_empty() {
            toml::from_str(text)?
        } else {
            let mut table: toml::Table = toml::from_str(text)?;
            for assignment in overrides {
                apply_override(&mut table, assignment)?;
            }
            let config: Self = Self::deserialize(toml::Value::Table(table))
                .context("the config with the --set overrides applied is invalid")?;
            config
        };
        config.validate()?;
        Ok(config)
    }

    /// The config as TOML text.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).context("cannot write the config as TOML")
    }

    /// The same config with `run_dir` and `data.path` made absolute (relative to the
    /// current directory).
    pub fn with_absolute_paths(&self) -> Result<Self> {
        let mut config = self.clone();
        config.run_dir = std::path::absolute(&self.run_dir)
            .with_context(|| format!("run_dir {}", self.run_dir.display()))?;
        config.data.path = match std::fs::canonicalize(&self.data.path) {
            Ok(path) => path,
            Err(_) => std::path::absolute(&self.data.path)
                .with_context(|| format!("data.path {}", self.data.path.display()))?,
        };
        Ok(config)
    }

    /// Checks values that serde cannot: sizes, rates and the model's own constraints.
    pub fn validate(&self) -> Result<()> {
        let t = &self.training;
        self.model.validate().context("[model]")?;
        if !ANGSTROM_NAMES.contains(&self.data.length_unit.as_str()) {
            bail!(
                "data.length_unit = {:?}: only Å is supported (the model's cutoff is in Å); \
                 convert the positions",
                self.data.length_unit
            );
        }
        if self.data.energy_unit.trim().is_empty() {
            bail!("data.energy_unit must name the unit of the energies, e.g. \"eV\" or \"kcal/mol\"");
        }
        if t.n_train == 0 || t.n_valid == 0 {
            bail!("training.n_train and training.n_valid must be at least 1");
        }
        if t.batch_size() == 0 || t.batch_size() > t.n_train {
            bail!("training.batch_size = {} must be between 1 and n_train = {}", t.batch_size(), t.n_train);
        }
        let positive = [("learning_rate", t.learning_rate), ("min_learning_rate", t.min_learning_rate)];
        for (key, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                bail!("training.{key} = {value} must be positive");
            }
        }
        if !(t.decay_rate > 0.0 && t.decay_rate <= 1.0) {
            bail!("training.decay_rate = {} must be in (0, 1]", t.decay_rate);
        }
        if t.decay_steps == 0 || t.eval_batch_size == 0 || t.eval_every == Some(0) {
            bail!("training.decay_steps, eval_batch_size and eval_every must be at least 1");
        }
        let weights = [t.energy_weight, t.forces_weight];
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || weights.iter().sum::<f64>() <= 0.0 {
            bail!(
                "training.energy_weight = {} and forces_weight = {} must be non-negative, not both 0",
                t.energy_weight,
                t.forces_weight
            );
        }
        if let Some(norm) = t.clip_grad_norm {
            if !(norm.is_finite() && norm > 0.0) {
                bail!("training.clip_grad_norm = {norm} must be positive");
            }
        }
        if let Some(p) = t.plateau {
            if !(p.factor > 0.0 && p.factor < 1.0) || p.patience == 0 {
                bail!("training.plateau needs patience ≥ 1 and 0 < factor < 1, got {p:?}");
            }
        }
        if t.early_stopping_patience == Some(0) {
            bail!("training.early_stopping_patience must be at least 1");
        }
        if let Some(d) = t.ema_decay {
            if !(0.0..1.0).contains(&d) {
                bail!("training.ema_decay = {d} must be in [0, 1)");
            }
        }
        if let Some(seconds) = t.max_wall_seconds {
            if !(seconds.is_finite() && seconds > 0.0) {
                bail!("training.max_wall_seconds = {seconds} must be positive");
            }
        }
        Ok(())
    }

    /// Differences (as dotted keys) between two configs in what decides the result of
    /// training; the stopping criteria (`max_steps`, `max_epochs`, `max_wall_seconds`,
    /// `early_stopping_patience`) and `run_dir` may differ when resuming.
    pub fn resume_differences(&self, other: &Self) -> Result<Vec<String>> {
        let normalise = |config: &Self| -> Result<toml::Table> {
            let mut c = config.with_absolute_paths()?;
            c.run_dir = PathBuf::new();
            c.training.max_steps = None;
            c.training.max_epochs = None;
            c.training.max_wall_seconds = None;
            c.training.early_stopping_patience = None;
            Ok(toml::Table::try_from(&c)?)
        };
        let (a, b) = (normalise(self)?, normalise(other)?);
        let mut differences = Vec::new();
        diff_tables("", &a, &b, &mut differences);
        Ok(differences)
    }
}

fn diff_tables(prefix: &str, a: &toml::Table, b: &toml::Table, out: &mut Vec<String>) {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let name = format!("{prefix}{key}");
        match (a.get(key), b.get(key)) {
            (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => {
                diff_tables(&format!("{name}."), x, y, out)
            }
            (x, y) if x != y => out.push(name),
            _ => {}
        }
    }
}

/// Every key a config may have, as dotted paths (for the `--set` check).
fn known_keys() -> Result<Vec<String>> {
    let example = TrainConfig {
        run_dir: PathBuf::from("run"),
        data: DataConfig {
            path: PathBuf::from("data.npz"),
            energy_unit: "eV".into(),
            length_unit: default_length_unit(),
            energy_key: default_energy_key(),
            forces_key: default_forces_key(),
            stress_key: default_stress_key(),
        },
        model: ModelConfig { sphc_init_scale: Some(1.0), ..ModelConfig::default() },
        training: TrainingConfig {
            n_train: 1,
            n_valid: 1,
            n_test: Some(1),
            seed: 0,
            batch_size: Some(1),
            learning_rate: 1e-3,
            decay_rate: 0.7,
            decay_steps: 1,
            min_learning_rate: 1e-5,
            max_steps: Some(1),
            max_epochs: Some(1),
            max_wall_seconds: Some(1.0),
            eval_every: Some(1),
            eval_batch_size: 1,
            energy_weight: 0.01,
            forces_weight: 0.99,
            clip_grad_norm: Some(1.0),
            plateau: Some(PlateauConfig { patience: 1, factor: 0.5 }),
            early_stopping_patience: Some(1),
            ema_decay: Some(0.9),
        },
    };
    let table = toml::Table::try_from(&example)?;
    let mut keys = Vec::new();
    collect_keys("", &table, &mut keys);
    Ok(keys)
}

fn collect_keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
    for (key, value) in table {
        let name = format!("{prefix}{key}");
        if let toml::Value::Table(inner) = value {
            out.push(name.clone());
            collect_keys(&format!("{name}."), inner, out);
        } else {
            out.push(name);
        }
    }
}

/// Applies one `key=value` override to a parsed config. The key is dotted
/// (`training.n_train`); the value is parsed as a TOML value (`1000`, `1e-3`, `[1, 2]`,
/// `"text"`), and taken as a plain string if it does not parse (`data.path=../x.npz`).
pub fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<()> {
    let Some((key, raw_value)) = assignment.split_once('=') else {
        bail!("--set {assignment:?}: expected key=value, e.g. --set training.n_train=1000");
    };
    let key = key.trim();
    let known = known_keys()?;
    if !known.iter().any(|k| k == key) {
        let section = key.rsplit_once('.').map(|(s, _)| s).unwrap_or("");
        let siblings: Vec<&str> = known
            .iter()
            .filter_map(|k| match k.rsplit_once('.') {
                Some((s, name)) if s == section => Some(name),
                None if section.is_empty() => Some(k.as_str()),
                _ => None,
            })
            .collect();
        let place = if section.is_empty() { "the top level".to_string() } else { format!("[{section}]") };
        bail!("--set {assignment:?}: unknown key {key:?}; the keys of {place} are: {}", siblings.join(", "));
    }
    let value = parse_value(raw_value.trim());

    let parts: Vec<&str> = key.split('.').collect();
    let (last, parents) = parts.split_last().context("empty --set key")?;
    let mut current = table;
    for (depth, part) in parents.iter().enumerate() {
        let entry = current.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(inner) => inner,
            _ => bail!("--set {assignment:?}: {} is not a table", parts[..=depth].join(".")),
        };
    }
    current.insert(last.to_string(), value);
    Ok(())
}

fn parse_value(raw: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("value = {raw}")) {
        Ok(mut table) => table.remove("value").unwrap_or(toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
run_dir = "runs/x"
[data]
path = "data/x.xyz"
energy_unit = "eV"
[training]
n_train = 100
n_valid = 10
"#;

    #[test]
    fn minimal_config_gets_reference_defaults() {
        let config = TrainConfig::from_toml(MINIMAL, &[]).unwrap();
        assert_eq!(config.model, ModelConfig::default());
        assert_eq!(config.training.learning_rate, 1e-3);
        assert_eq!(config.training.decay_rate, 0.7);
        assert_eq!(config.training.loss_weights(), LossWeights { energy: 0.01, forces: 0.99 });
        assert_eq!(config.data.length_unit, "Å");
        assert_eq!(config.training.batch_size(), 1); // n_train < 500
    }

    #[test]
    fn automatic_batch_size_follows_the_spec() {
        let mut t = TrainConfig::from_toml(MINIMAL, &[]).unwrap().training;
        for (n, expected) in [(499, 1), (500, 5), (999, 5), (1000, 10), (9999, 10), (10_000, 100)] {
            t.n_train = n;
            assert_eq!(t.batch_size(), expected, "n_train = {n}");
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let mut config = TrainConfig::from_toml(MINIMAL, &[]).unwrap();
        config.training.plateau = Some(PlateauConfig { patience: 5, factor: 0.5 });
        config.training.ema_decay = Some(0.999);
        config.training.max_wall_seconds = Some(1320.0);
        config.model.sphc_init_scale = Some(2.0);
        let text = config.to_toml().unwrap();
        assert_eq!(TrainConfig::from_toml(&text, &[]).unwrap(), config);
    }

    #[test]
    fn overrides_set_nested_keys_and_parse_values() {
        let overrides = [
            "training.n_train=200".to_string(),
            "model.degrees=[1, 2]".to_string(),
            "data.path=../shared/data/md17_ethanol_2000.npz".to_string(),
            "training.plateau.patience=3".to_string(),
            "training.plateau.factor=0.5".to_string(),
            "training.learning_rate = 5e-4".to_string(),
        ];
        let config = TrainConfig::from_toml(MINIMAL, &overrides).unwrap();
        assert_eq!(config.training.n_train, 200);
        assert_eq!(config.model.degrees, vec![1, 2]);
        assert_eq!(config.data.path, PathBuf::from("../shared/data/md17_ethanol_2000.npz"));
        assert_eq!(config.training.plateau, Some(PlateauConfig { patience: 3, factor: 0.5 }));
        assert_eq!(config.training.learning_rate, 5e-4);
    }

    #[test]
    fn bad_override_key_is_named_with_its_alternatives() {
        let error = TrainConfig::from_toml(MINIMAL, &["training.n_trian=5".into()]).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("unknown key \"training.n_trian\""), "{message}");
        assert!(message.contains("n_train"), "{message}");
        let error = TrainConfig::from_toml(MINIMAL, &["n_train".into()]).unwrap_err();
        assert!(format!("{error:#}").contains("expected key=value"));
    }

    #[test]
    fn bad_override_value_is_an_error() {
        let error = TrainConfig::from_toml(MINIMAL, &["training.n_train=many".into()]).unwrap_err();
        assert!(format!("{error:#}").contains("invalid"), "{error:#}");
    }

    #[test]
    fn unknown_file_key_and_bad_values_are_errors() {
        let text = MINIMAL.replace("n_valid = 10", "n_valid = 10\nlearning_rat = 1.0");
        let message = format!("{:#}", TrainConfig::from_toml(&text, &[]).unwrap_err());
        assert!(message.contains("learning_rat"), "{message}");

        let text = MINIMAL.replace("energy_unit = \"eV\"", "energy_unit = \"eV\"\nlength_unit = \"nm\"");
        let message = format!("{:#}", TrainConfig::from_toml(&text, &[]).unwrap_err());
        assert!(message.contains("only Å"), "{message}");
    }

    #[test]
    fn resume_differences_ignore_stopping_criteria() {
        let a = TrainConfig::from_toml(MINIMAL, &[]).unwrap();
        let mut b = a.clone();
        b.training.max_steps = Some(10);
        b.training.max_wall_seconds = Some(5.0);
        assert!(a.resume_differences(&b).unwrap().is_empty());
        b.training.learning_rate = 1.0;
        b.model.features = 64;
        assert_eq!(a.resume_differences(&b).unwrap(), vec!["model.features", "training.learning_rate"]);
    }
}
