//! Request validation: JSON bytes → [`PredictRequest`] → structures the model can evaluate.
//!
//! Every check runs in the request handler, before anything is queued, so a bad structure
//! never reaches a batch. Each failure is an [`ApiError`] naming the field at fault:
//! - malformed JSON or wrong types: HTTP 400, field from the JSON path;
//! - everything else (lengths, elements, coordinates, cells, coincident atoms, limits):
//!   HTTP 422.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use so3krates_core::io::{atomic_number, chemical_symbol};
use so3krates_core::neighbours::neighbour_list;
use so3krates_core::structure::{determinant, MAX_ATOMIC_NUMBER, MIN_CELL_VOLUME};
use so3krates_core::{CoreError, Structure};

use crate::api::{PredictRequest, Property, StructureInput};
use crate::error::ApiError;
use crate::predictor::ModelInfo;

/// Largest |coordinate| accepted, Å. Beyond it f32 positions resolve less than 0.01 Å.
pub const MAX_COORDINATE_ANGSTROM: f64 = 1e5;

/// Most periodic images (atoms included) the neighbour search of one structure may need;
/// a cell much thinner than the cutoff would otherwise cost unbounded time and memory.
pub const MAX_PERIODIC_IMAGE_ATOMS: f64 = 1e6;

/// Most neighbour pairs per atom; denser structures (e.g. many atoms almost on top of each
/// other) would exhaust the model's memory. Dense liquids have about 50 at a 5 Å cutoff.
pub const MAX_PAIRS_PER_ATOM: usize = 500;

/// Which properties a request asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PropertySet {
    pub energy: bool,
    pub forces: bool,
    pub stress: bool,
}

/// A request that passed every check: structures ready for the model.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidRequest {
    /// The structures, in the order of the request.
    pub structures: Vec<Structure>,
    pub properties: PropertySet,
    /// Atoms summed over the structures.
    pub n_atoms: usize,
}

/// Parses a request body; a syntax or type error is HTTP 400 naming the JSON path.
pub fn parse_request(body: &[u8]) -> Result<PredictRequest, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let request: PredictRequest = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = (path != "." && !path.is_empty()).then_some(path);
        ApiError {
            field,
            ..ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {}", error.inner()))
        }
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {error}")))?;
    Ok(request)
}

/// Checks a parsed request against the model and the atom limit of one request.
pub fn validate_request(
    request: PredictRequest,
    model: &ModelInfo,
    max_atoms_per_request: usize,
) -> Result<ValidRequest, ApiError> {
    let properties = property_set(request.properties.as_deref())?;
    if request.structures.is_empty() {
        return Err(ApiError::invalid_field(
            "structures",
            "the request holds no structure; give at least one",
        ));
    }
    let n_atoms: usize = request.structures.iter().map(|s| s.positions.len()).sum();
    if n_atoms > max_atoms_per_request {
        return Err(ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..ApiError::invalid_field(
                "structures",
                format!(
                    "the request holds {n_atoms} atoms in {} structures; this server accepts at most \
                     {max_atoms_per_request} atoms per request (split it into several requests)",
                    request.structures.len()
                ),
            )
        });
    }
    let structures = request
        .structures
        .into_iter()
        .enumerate()
        .map(|(index, input)| validate_structure(input, &format!("structures[{index}]"), model))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ValidRequest { structures, properties, n_atoms })
}

fn property_set(properties: Option<&[Property]>) -> Result<PropertySet, ApiError> {
    let Some(properties) = properties else {
        return Ok(PropertySet { energy: true, forces: true, stress: false });
    };
    if properties.is_empty() {
        return Err(ApiError::invalid_field(
            "properties",
            "asks for nothing; name energy, forces and/or stress",
        ));
    }
    let mut set = PropertySet::default();
    for property in properties {
        match property {
            Property::Energy => set.energy = true,
            Property::Forces => set.forces = true,
            Property::Stress => set.stress = true,
        }
    }
    Ok(set)
}

/// Checks one structure; `field` is its path in the request (`structures[2]`).
pub fn validate_structure(
    input: StructureInput,
    field: &str,
    model: &ModelInfo,
) -> Result<Structure, ApiError> {
    let (numbers, elements_field) = atomic_numbers(&input, field)?;
    let n_atoms = input.positions.len();
    if n_atoms == 0 {
        return Err(ApiError::invalid_field(format!("{field}.positions"), "the structure has no atoms"));
    }
    if numbers.len() != n_atoms {
        return Err(ApiError::invalid_field(
            format!("{field}.positions"),
            format!(
                "{} positions but {} entries in {elements_field}; give one position per atom",
                n_atoms,
                numbers.len()
            ),
        ));
    }
    if let Some(known) = &model.elements {
        check_known_elements(&numbers, known, &format!("{field}.{elements_field}"))?;
    }
    for (atom, position) in input.positions.iter().enumerate() {
        if let Some(problem) = coordinate_problem(position) {
            return Err(ApiError::invalid_field(
                format!("{field}.positions[{atom}]"),
                format!("position {problem}"),
            ));
        }
    }
    let pbc = input.pbc.unwrap_or([false; 3]);
    let structure = match input.cell {
        Some(cell) => {
            for (row, vector) in cell.iter().enumerate() {
                if let Some(problem) = coordinate_problem(vector) {
                    return Err(ApiError::invalid_field(
                        format!("{field}.cell[{row}]"),
                        format!("lattice vector {problem}"),
                    ));
                }
            }
            Structure::periodic(numbers, input.positions, cell, pbc)
        }
        None if pbc.iter().any(|&p| p) => {
            return Err(ApiError::invalid_field(
                format!("{field}.pbc"),
                "pbc is set but the structure has no cell; give `cell` (lattice vectors as rows, Å)",
            ));
        }
        None => Structure::molecule(numbers, input.positions),
    };
    if let Some(cell) = structure.cell.filter(|_| structure.is_periodic()) {
        check_periodic_cell(&cell, structure.pbc, n_atoms, model.cutoff_angstrom, field)?;
    }
    structure.validate().map_err(|error| ApiError::invalid_field(field, error.to_string()))?;

    let pairs = neighbour_list(&structure, model.cutoff_angstrom).map_err(|error| match &error {
        CoreError::CoincidentAtoms { second, .. } => {
            ApiError::invalid_field(format!("{field}.positions[{second}]"), error.to_string())
        }
        _ => ApiError::invalid_field(field, error.to_string()),
    })?;
    if pairs.len() > MAX_PAIRS_PER_ATOM * n_atoms {
        return Err(ApiError::invalid_field(
            format!("{field}.positions"),
            format!(
                "the structure is too dense: {} neighbour pairs within the {} Å cutoff for {n_atoms} atoms \
                 (at most {MAX_PAIRS_PER_ATOM} per atom)",
                pairs.len(),
                model.cutoff_angstrom
            ),
        ));
    }
    Ok(structure)
}

/// The atomic numbers of a structure and the name of the field they came from.
fn atomic_numbers(input: &StructureInput, field: &str) -> Result<(Vec<u8>, &'static str), ApiError> {
    match (&input.numbers, &input.symbols) {
        (Some(_), Some(_)) => {
            Err(ApiError::invalid_field(field, "give either `numbers` or `symbols`, not both"))
        }
        (None, None) => Err(ApiError::invalid_field(
            field,
            "the elements are missing: give `numbers` (atomic numbers) or `symbols` (chemical symbols)",
        )),
        (Some(numbers), None) => {
            if let Some(atom) = numbers.iter().position(|&z| z == 0 || z > MAX_ATOMIC_NUMBER) {
                return Err(ApiError::invalid_field(
                    format!("{field}.numbers[{atom}]"),
                    format!(
                        "atomic number {} does not exist or is not supported (1..={MAX_ATOMIC_NUMBER})",
                        numbers[atom]
                    ),
                ));
            }
            Ok((numbers.clone(), "numbers"))
        }
        (None, Some(symbols)) => {
            let numbers = symbols
                .iter()
                .enumerate()
                .map(|(atom, symbol)| {
                    atomic_number(symbol).filter(|&z| z <= MAX_ATOMIC_NUMBER).ok_or_else(|| {
                        ApiError::invalid_field(
                            format!("{field}.symbols[{atom}]"),
                            format!("{symbol:?} is not a supported chemical symbol"),
                        )
                    })
                })
                .collect::<Result<Vec<u8>, _>>()?;
            Ok((numbers, "symbols"))
        }
    }
}

fn check_known_elements(numbers: &[u8], known: &BTreeSet<u8>, field: &str) -> Result<(), ApiError> {
    let Some(atom) = numbers.iter().position(|z| !known.contains(z)) else {
        return Ok(());
    };
    let name = |z: u8| chemical_symbol(z).map_or_else(|| format!("Z={z}"), |s| s.to_string());
    let known_names: Vec<String> = known.iter().map(|&z| name(z)).collect();
    Err(ApiError::invalid_field(
        format!("{field}[{atom}]"),
        format!(
            "element {} (Z={}) is not known to this model, which was trained on {}",
            name(numbers[atom]),
            numbers[atom],
            known_names.join(", ")
        ),
    ))
}

/// Why a Cartesian vector is unusable, if it is.
fn coordinate_problem(vector: &[f64; 3]) -> Option<String> {
    if vector.iter().any(|v| !v.is_finite()) {
        Some(format!("{vector:?} is not finite"))
    } else if vector.iter().any(|v| v.abs() > MAX_COORDINATE_ANGSTROM) {
        Some(format!("{vector:?} has a component beyond ±{MAX_COORDINATE_ANGSTROM:e} Å"))
    } else {
        None
    }
}

/// A periodic cell must be non-singular and not so thin that the neighbour search explodes.
fn check_periodic_cell(
    cell: &[[f64; 3]; 3],
    pbc: [bool; 3],
    n_atoms: usize,
    cutoff_angstrom: f64,
    field: &str,
) -> Result<(), ApiError> {
    let volume = determinant(cell).abs();
    if volume < MIN_CELL_VOLUME {
        return Err(ApiError::invalid_field(
            format!("{field}.cell"),
            format!("the periodic cell is singular (volume {volume:.3e} Å³); its lattice vectors must be independent"),
        ));
    }
    let mut images = n_atoms as f64;
    for k in (0..3).filter(|&k| pbc[k]) {
        let (a, b) = (cell[(k + 1) % 3], cell[(k + 2) % 3]);
        let cross = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
        let area = (cross[0] * cross[0] + cross[1] * cross[1] + cross[2] * cross[2]).sqrt();
        let height = volume / area;
        images *= 2.0 * (cutoff_angstrom / height).ceil() + 1.0;
    }
    if images > MAX_PERIODIC_IMAGE_ATOMS {
        return Err(ApiError::invalid_field(
            format!("{field}.cell"),
            format!(
                "the periodic cell is too thin for the {cutoff_angstrom} Å cutoff: the neighbour search would \
                 need about {images:.2e} periodic images (at most {MAX_PERIODIC_IMAGE_ATOMS:e})"
            ),
        ));
    }
    Ok(())
}
