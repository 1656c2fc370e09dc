//! Shared by the dynamics tests: statistics of time series and an NVE run's energy record.
#![allow(dead_code)]

use so3krates_md::{simulate, MdError, MdState, Potential, VelocityVerlet};

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Population standard deviation.
pub fn std_dev(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

/// Least-squares slope of y against x.
pub fn slope(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    sxy / x.iter().map(|a| (a - mx).powi(2)).sum::<f64>()
}

/// How well an NVE run conserved the total energy.
pub struct NveRecord {
    /// Least-squares slope of E_tot against time, eV/ps.
    pub drift_ev_per_ps: f64,
    /// σ(E_tot)/σ(E_kin): the fluctuation of the conserved quantity relative to the motion.
    pub fluctuation_ratio: f64,
    /// σ(E_kin) in eV, to tell that the system moved at all.
    pub kinetic_std_ev: f64,
}

/// Runs `steps` velocity-Verlet steps of `dt_fs` from `state`, recording every `interval`-th.
pub fn run_nve(
    state: &mut MdState,
    potential: &Potential,
    dt_fs: f64,
    steps: u64,
    interval: u64,
) -> NveRecord {
    let mut integrator = VelocityVerlet::new(dt_fs).unwrap();
    let (mut times_ps, mut totals, mut kinetics) = (Vec::new(), Vec::new(), Vec::new());
    simulate(state, &mut integrator, potential, steps, interval, |s| -> Result<(), MdError> {
        times_ps.push(s.time_fs / 1000.0);
        totals.push(s.total_energy_ev());
        kinetics.push(s.kinetic_energy_ev());
        Ok(())
    })
    .unwrap();

    NveRecord {
        drift_ev_per_ps: slope(&times_ps, &totals),
        fluctuation_ratio: std_dev(&totals) / std_dev(&kinetics),
        kinetic_std_ev: std_dev(&kinetics),
    }
}
