//! The MD unit system and conversions into it.
//!
//! Dynamics run in Å, fs, amu and eV (velocities in Å/fs), with temperatures in K. The
//! constants are ASE's (CODATA 2014, `ase/units.py`), so trajectories and energies agree with
//! ASE's to the last digit; see `shared/docs/interfaces.md` §4.

use crate::error::MdError;

/// Boltzmann's constant, eV/K.
pub const BOLTZMANN_EV_PER_K: f64 = 8.617330337217213e-05;

/// Acceleration of 1 amu under 1 eV/Å, in Å/fs². Also: 1 amu·Å²/fs² = 1/this eV.
pub const ACCELERATION_ANGSTROM_PER_FS2: f64 = 0.009648533290731906;

/// 1 Bohr in Å.
pub const BOHR_ANGSTROM: f64 = 0.5291772105638411;

/// 1 Hartree in eV.
pub const HARTREE_EV: f64 = 27.211386024367243;

/// 1 kcal/mol in eV.
pub const KCAL_PER_MOL_EV: f64 = 0.04336410390059322;

/// 1 kJ/mol in eV.
pub const KJ_PER_MOL_EV: f64 = 0.010364269574711572;

/// 1 eV/Å³ in GPa.
pub const EV_PER_ANGSTROM3_GPA: f64 = 160.21766208;

/// Value of one `unit` of energy in eV, for the energy units a model file may declare.
pub fn energy_unit_in_ev(unit: &str) -> Result<f64, MdError> {
    let normalised: String = unit.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    match normalised.as_str() {
        "ev" => Ok(1.0),
        "mev" => Ok(1e-3),
        "kcal/mol" | "kcal_mol" | "kcalmol" => Ok(KCAL_PER_MOL_EV),
        "kj/mol" | "kj_mol" | "kjmol" => Ok(KJ_PER_MOL_EV),
        "hartree" | "ha" | "eh" => Ok(HARTREE_EV),
        _ => {
            Err(MdError::UnknownUnit { unit: unit.to_string(), known: "eV, meV, kcal/mol, kJ/mol, Hartree" })
        }
    }
}

/// Checks that a length unit is Å, the only one the MD code and every model of this project use.
pub fn require_angstrom(unit: &str) -> Result<(), MdError> {
    match unit.trim() {
        "Å" | "Ang" | "Angstrom" | "angstrom" | "A" => Ok(()),
        _ => Err(MdError::UnknownUnit { unit: unit.to_string(), known: "Å" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_units_convert_as_in_ase() {
        assert_eq!(energy_unit_in_ev("eV").ok(), Some(1.0));
        assert_eq!(energy_unit_in_ev("kcal/mol").ok(), Some(KCAL_PER_MOL_EV));
        assert_eq!(energy_unit_in_ev("Hartree").ok(), Some(HARTREE_EV));
        assert!(energy_unit_in_ev("furlong").is_err());
    }

    #[test]
    fn constants_are_consistent_with_each_other() {
        // 1 kcal/mol per Hartree = 627.5094738898777 (ASE).
        assert!((HARTREE_EV / KCAL_PER_MOL_EV - 627.5094738898777).abs() < 1e-9);
        // ASE's time unit Å·sqrt(amu/eV) is 10.180505671156725 fs, and a = F/m in Å/fs² is
        // F/m divided by that time unit squared.
        let ase_time_fs: f64 = 10.180505671156725;
        assert!((1.0 / ase_time_fs.powi(2) - ACCELERATION_ANGSTROM_PER_FS2).abs() < 1e-15);
    }
}
