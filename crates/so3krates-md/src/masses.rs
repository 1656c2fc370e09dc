//! Atomic masses in amu: IUPAC 2016 standard atomic weights, the table ASE uses by default
//! (`ase.data.atomic_masses_iupac2016`), so that our dynamics and ASE's agree.

use crate::error::MdError;

/// Masses indexed by atomic number minus one, Z = 1 (H) to 99 (Es). For elements without a
/// standard atomic weight, the mass of the longest-lived isotope, as in ASE.
#[rustfmt::skip]
const MASSES_AMU: [f64; 99] = [
    1.008, 4.002602, 6.94, 9.0121831, 10.81, 12.011, 14.007, 15.999, 18.998403163, 20.1797,
    22.98976928, 24.305, 26.9815385, 28.085, 30.973761998, 32.06, 35.45, 39.948, 39.0983, 40.078,
    44.955908, 47.867, 50.9415, 51.9961, 54.938044, 55.845, 58.933194, 58.6934, 63.546, 65.38,
    69.723, 72.630, 74.921595, 78.971, 79.904, 83.798, 85.4678, 87.62, 88.90584, 91.224,
    92.90637, 95.95, 97.90721, 101.07, 102.90550, 106.42, 107.8682, 112.414, 114.818, 118.710,
    121.760, 127.60, 126.90447, 131.293, 132.90545196, 137.327, 138.90547, 140.116, 140.90766, 144.242,
    144.91276, 150.36, 151.964, 157.25, 158.92535, 162.500, 164.93033, 167.259, 168.93422, 173.054,
    174.9668, 178.49, 180.94788, 183.84, 186.207, 190.23, 192.217, 195.084, 196.966569, 200.592,
    204.38, 207.2, 208.98040, 208.98243, 209.98715, 222.01758, 223.01974, 226.02541, 227.02775, 232.0377,
    231.03588, 238.02891, 237.04817, 244.06421, 243.06138, 247.07035, 247.07031, 251.07959, 252.0830,
];

/// Mass of element `z` in amu.
pub fn atomic_mass_amu(z: u8) -> Result<f64, MdError> {
    usize::from(z)
        .checked_sub(1)
        .and_then(|index| MASSES_AMU.get(index).copied())
        .ok_or(MdError::UnknownMass(z))
}

/// Masses of the atoms of a structure, amu, shape (n_atoms,).
pub fn masses_amu(numbers: &[u8]) -> Result<Vec<f64>, MdError> {
    numbers.iter().map(|&z| atomic_mass_amu(z)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_elements_have_their_standard_weights() {
        assert_eq!(atomic_mass_amu(1).ok(), Some(1.008));
        assert_eq!(atomic_mass_amu(6).ok(), Some(12.011));
        assert_eq!(atomic_mass_amu(8).ok(), Some(15.999));
        assert_eq!(atomic_mass_amu(18).ok(), Some(39.948));
        assert_eq!(atomic_mass_amu(79).ok(), Some(196.966569));
    }

    #[test]
    fn masses_grow_with_atomic_number_except_the_known_inversions() {
        // Ar > K, Co > Ni, Te > I, Th > Pa, U > Np, Pu > Am, Cm > Bk are the natural inversions.
        let inversions = [(18, 19), (27, 28), (52, 53), (90, 91), (92, 93), (94, 95), (96, 97)];
        for z in 1..99u8 {
            let (lighter, heavier) = (atomic_mass_amu(z).unwrap(), atomic_mass_amu(z + 1).unwrap());
            assert_eq!(heavier < lighter, inversions.contains(&(z, z + 1)), "Z = {z}");
        }
    }

    #[test]
    fn elements_outside_the_table_are_an_error() {
        assert!(atomic_mass_amu(0).is_err());
        assert!(atomic_mass_amu(100).is_err());
    }
}
