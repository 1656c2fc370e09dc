//! `metrics.csv`: one row per validation, rewritten atomically after each.

use std::path::Path;

use anyhow::{bail, Context, Result};
use so3krates_core::model_file::write_atomically;

/// File name inside the run folder.
pub const METRICS_FILE: &str = "metrics.csv";

const HEADER: &str = "step,epoch,wall_seconds,learning_rate,train_loss,valid_loss,\
valid_energy_mae,valid_energy_rmse,valid_forces_mae,valid_forces_rmse";

/// One validation. Energies in the data's unit, forces in energy unit per Å.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricsRow {
    pub step: u64,
    /// Epochs done, fractional.
    pub epoch: f64,
    pub wall_seconds: f64,
    pub learning_rate: f64,
    /// Mean training loss since the previous row (NaN if no step was taken).
    pub train_loss: f64,
    pub valid_loss: f64,
    pub valid_energy_mae: f64,
    pub valid_energy_rmse: f64,
    pub valid_forces_mae: f64,
    pub valid_forces_rmse: f64,
}

impl MetricsRow {
    fn to_line(self) -> String {
        format!(
            "{},{:.4},{:.3},{:e},{:e},{:e},{:e},{:e},{:e},{:e}",
            self.step,
            self.epoch,
            self.wall_seconds,
            self.learning_rate,
            self.train_loss,
            self.valid_loss,
            self.valid_energy_mae,
            self.valid_energy_rmse,
            self.valid_forces_mae,
            self.valid_forces_rmse
        )
    }

    fn from_line(line: &str) -> Result<Self> {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 10 {
            bail!("expected 10 fields, found {}", fields.len());
        }
        let real = |k: usize| -> Result<f64> {
            fields[k].trim().parse::<f64>().with_context(|| format!("field {} = {:?}", k + 1, fields[k]))
        };
        Ok(Self {
            step: fields[0].trim().parse().with_context(|| format!("step = {:?}", fields[0]))?,
            epoch: real(1)?,
            wall_seconds: real(2)?,
            learning_rate: real(3)?,
            train_loss: real(4)?,
            valid_loss: real(5)?,
            valid_energy_mae: real(6)?,
            valid_energy_rmse: real(7)?,
            valid_forces_mae: real(8)?,
            valid_forces_rmse: real(9)?,
        })
    }
}

/// Writes all rows to `metrics.csv` in `run_dir`.
pub fn write_metrics(run_dir: &Path, rows: &[MetricsRow]) -> Result<()> {
    let mut text = String::from(HEADER);
    text.push('\n');
    for row in rows {
        text.push_str(&row.to_line());
        text.push('\n');
    }
    write_atomically(&run_dir.join(METRICS_FILE), text.as_bytes())?;
    Ok(())
}

/// Reads `metrics.csv` from `run_dir` (empty if the file does not exist).
pub fn read_metrics(run_dir: &Path) -> Result<Vec<MetricsRow>> {
    let path = run_dir.join(METRICS_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            MetricsRow::from_line(line).with_context(|| format!("{}: line {}", path.display(), number + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let row = MetricsRow {
            step: 100,
            epoch: 1.0,
            wall_seconds: 12.5,
            learning_rate: 9.99e-4,
            train_loss: 1.25,
            valid_loss: 0.5,
            valid_energy_mae: 0.1,
            valid_energy_rmse: 0.2,
            valid_forces_mae: 0.3,
            valid_forces_rmse: f64::NAN,
        };
        write_metrics(dir.path(), &[row, MetricsRow { step: 200, ..row }]).unwrap();
        let rows = read_metrics(dir.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].step, 200);
        assert_eq!(rows[0].valid_forces_mae, 0.3);
        assert!(rows[0].valid_forces_rmse.is_nan());
    }
}
