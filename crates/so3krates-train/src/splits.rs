//! Train / validation / test splits (spec §7), written to `splits.json` in the run folder.
//!
//! One random permutation of all frames with the seed: the first `n_valid` frames are the
//! validation set, the next `n_train` the training set, and the rest, permuted again, the
//! test set (optionally cut to `n_test`).

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use so3krates_core::model_file::write_atomically;

use crate::rng::permutation;

/// Name of the split file in a run folder.
pub const SPLITS_FILE: &str = "splits.json";

/// Frame indices (0-based, into the data file) of each split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Splits {
    /// Seed of the permutation.
    pub seed: u64,
    /// Frames in the data file the indices refer to.
    pub n_frames: usize,
    /// The data file (absolute path), so that `evaluate` can recognise it.
    pub data_path: String,
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

/// Which frames `evaluate` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitName {
    Train,
    Valid,
    Test,
}

impl Splits {
    /// Draws the split of `n_frames` frames.
    pub fn draw(
        n_frames: usize,
        n_train: usize,
        n_valid: usize,
        n_test: Option<usize>,
        seed: u64,
        data_path: &str,
    ) -> Result<Self> {
        let needed = n_train + n_valid + n_test.unwrap_or(0);
        if needed > n_frames {
            bail!(
                "the data has {n_frames} frames, fewer than n_train + n_valid{} = {needed}",
                if n_test.is_some() { " + n_test" } else { "" }
            );
        }
        let order = permutation(n_frames, seed, 0);
        let valid = order[..n_valid].to_vec();
        let train = order[n_valid..n_valid + n_train].to_vec();
        let rest = &order[n_valid + n_train..];
        let mut test: Vec<usize> = permutation(rest.len(), seed, 1).into_iter().map(|k| rest[k]).collect();
        if let Some(n) = n_test {
            test.truncate(n);
        }
        Ok(Self { seed, n_frames, data_path: data_path.to_string(), train, valid, test })
    }

    /// The indices of one split.
    pub fn get(&self, name: SplitName) -> &[usize] {
        match name {
            SplitName::Train => &self.train,
            SplitName::Valid => &self.valid,
            SplitName::Test => &self.test,
        }
    }

    /// Writes `splits.json` into `run_dir` atomically.
    pub fn save(&self, run_dir: &Path) -> Result<()> {
        let text = serde_json::to_string(self)?;
        write_atomically(&run_dir.join(SPLITS_FILE), text.as_bytes())?;
        Ok(())
    }

    /// Reads `splits.json` from `run_dir`.
    pub fn load(run_dir: &Path) -> Result<Self> {
        let path = run_dir.join(SPLITS_FILE);
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let splits: Self =
            serde_json::from_str(&text).with_context(|| format!("malformed {}", path.display()))?;
        let out_of_range = [&splits.train, &splits.valid, &splits.test]
            .into_iter()
            .flatten()
            .find(|&&i| i >= splits.n_frames);
        if let Some(index) = out_of_range {
            bail!("{}: frame index {index} is not below n_frames = {}", path.display(), splits.n_frames);
        }
        Ok(splits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn same_seed_same_split_and_splits_are_disjoint() {
        let a = Splits::draw(2000, 1000, 100, None, 0, "x").unwrap();
        let b = Splits::draw(2000, 1000, 100, None, 0, "x").unwrap();
        assert_eq!(a, b);
        assert_eq!((a.train.len(), a.valid.len(), a.test.len()), (1000, 100, 900));
        let all: HashSet<usize> = a.train.iter().chain(&a.valid).chain(&a.test).copied().collect();
        assert_eq!(all.len(), 2000, "splits overlap or miss frames");

        let c = Splits::draw(2000, 1000, 100, None, 1, "x").unwrap();
        assert_ne!(a.train, c.train);
    }

    #[test]
    fn n_test_cuts_the_rest_and_too_many_frames_is_an_error() {
        let s = Splits::draw(50, 20, 5, Some(10), 3, "x").unwrap();
        assert_eq!((s.train.len(), s.valid.len(), s.test.len()), (20, 5, 10));
        // The validation and training sets do not depend on n_test.
        let t = Splits::draw(50, 20, 5, None, 3, "x").unwrap();
        assert_eq!((&s.train, &s.valid), (&t.train, &t.valid));
        assert_eq!(&t.test[..10], &s.test[..]);

        let error = Splits::draw(50, 40, 20, None, 0, "x").unwrap_err();
        assert!(error.to_string().contains("50 frames"), "{error}");
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let s = Splits::draw(30, 10, 5, None, 9, "/data/x.npz").unwrap();
        s.save(dir.path()).unwrap();
        assert_eq!(Splits::load(dir.path()).unwrap(), s);
    }
}
