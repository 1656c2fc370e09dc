//! Chemical symbols of the elements the model supports (Z = 1..=99, H to Es).

use crate::structure::MAX_ATOMIC_NUMBER;

/// Symbols indexed by atomic number minus one: `SYMBOLS[0]` is H (Z = 1).
const SYMBOLS: [&str; MAX_ATOMIC_NUMBER as usize] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", //
    "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K", "Ca", //
    "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", //
    "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", //
    "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", //
    "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", //
    "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", //
    "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", //
    "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", //
    "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es",
];

/// Atomic number of a chemical symbol, for Z = 1..=99.
///
/// The match is exact (`"Cl"`, not `"CL"`); the extended XYZ reader capitalises symbols
/// first, as ASE does. Returns `None` for anything else, including `"X"` and `"Xx"`.
pub fn atomic_number(symbol: &str) -> Option<u8> {
    SYMBOLS.iter().position(|&s| s == symbol).and_then(|index| u8::try_from(index + 1).ok())
}

/// Chemical symbol of atomic number `z`, for Z = 1..=99; `None` otherwise.
pub fn chemical_symbol(z: u8) -> Option<&'static str> {
    let index = usize::from(z).checked_sub(1)?;
    SYMBOLS.get(index).copied()
}

/// ASE's normalisation of a species column entry: first letter upper case, the rest lower
/// case (`"CL"` and `"cl"` become `"Cl"`), as Python's `str.capitalize`.
pub(crate) fn capitalise(symbol: &str) -> String {
    let mut chars = symbol.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_numbers_are_inverse_for_all_supported_elements() {
        for z in 1..=MAX_ATOMIC_NUMBER {
            let symbol = chemical_symbol(z).unwrap();
            assert_eq!(atomic_number(symbol), Some(z), "{symbol}");
        }
    }

    #[test]
    fn known_elements() {
        assert_eq!(atomic_number("H"), Some(1));
        assert_eq!(atomic_number("C"), Some(6));
        assert_eq!(atomic_number("O"), Some(8));
        assert_eq!(atomic_number("Cl"), Some(17));
        assert_eq!(atomic_number("Es"), Some(99));
        assert_eq!(chemical_symbol(26), Some("Fe"));
    }

    #[test]
    fn unknown_symbols_and_numbers_are_none() {
        assert_eq!(atomic_number("Xx"), None);
        assert_eq!(atomic_number("X"), None);
        assert_eq!(atomic_number("Fm"), None); // Z = 100, beyond the embedding table
        assert_eq!(atomic_number("CL"), None);
        assert_eq!(atomic_number(""), None);
        assert_eq!(chemical_symbol(0), None);
        assert_eq!(chemical_symbol(100), None);
    }

    #[test]
    fn capitalise_matches_python() {
        assert_eq!(capitalise("CL"), "Cl");
        assert_eq!(capitalise("h"), "H");
        assert_eq!(capitalise("Si"), "Si");
        assert_eq!(capitalise(""), "");
    }
}
