//! The JSON wire types of the HTTP API. Lengths are in Å; energies in the model's energy
//! unit, which every response states ([`ResponseUnits`]).

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

/// Body of `POST /v1/predict`: one or more structures and the properties wanted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PredictRequest {
    /// The structures, answered in the same order. At least one.
    pub structures: Vec<StructureInput>,
    /// What to return for each structure; default `["energy", "forces"]`.
    #[serde(default)]
    pub properties: Option<Vec<Property>>,
}

/// One structure: elements (by atomic number or by symbol), positions, optional cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StructureInput {
    /// Atomic numbers, shape (n_atoms,). Give either `numbers` or `symbols`.
    #[serde(default)]
    #[schema(nullable = false)]
    pub numbers: Option<Vec<u8>>,
    /// Chemical symbols ("H", "C", ...), shape (n_atoms,). Give either `numbers` or `symbols`.
    #[serde(default)]
    #[schema(nullable = false)]
    pub symbols: Option<Vec<String>>,
    /// Cartesian positions in Å, shape (n_atoms, 3).
    #[schema(schema_with = positions_schema)]
    pub positions: Vec<[f64; 3]>,
    /// Lattice vectors as rows, in Å, shape (3, 3). Leave out for a molecule in open space.
    #[serde(default)]
    #[schema(schema_with = cell_schema)]
    pub cell: Option<[[f64; 3]; 3]>,
    /// Periodicity along each lattice vector, shape (3,); default all false. Needs `cell`.
    #[serde(default)]
    #[schema(schema_with = pbc_schema)]
    pub pbc: Option<[bool; 3]>,
}

/// A property that can be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Property {
    /// Total energy, in the model's energy unit.
    Energy,
    /// Forces −∂E/∂R, in energy unit per Å.
    Forces,
    /// Stress (1/V) ∂E/∂ε in energy unit per Å³ (ASE's sign); periodic structures only.
    Stress,
}

/// Answer of `POST /v1/predict`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PredictResponse {
    /// Units of every number in `results`.
    pub units: ResponseUnits,
    /// One result per structure of the request, in its order.
    pub results: Vec<StructureResult>,
}

/// Units of the predictions, from the model file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResponseUnits {
    /// Energy unit, e.g. "eV".
    pub energy: String,
    /// Length unit of positions and cells: "Å".
    pub length: String,
    /// Force unit: energy/length, e.g. "eV/Å".
    pub forces: String,
    /// Stress unit: energy/length³, e.g. "eV/Å³".
    pub stress: String,
}

/// Predictions for one structure; a property is present when it was asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StructureResult {
    /// Total energy, in `units.energy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub energy: Option<f64>,
    /// Forces, shape (n_atoms, 3), in `units.forces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = positions_schema)]
    pub forces: Option<Vec<[f64; 3]>>,
    /// Stress, shape (3, 3), in `units.stress`; present when asked for and the structure is
    /// periodic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = cell_schema)]
    pub stress: Option<[[f64; 3]; 3]>,
}

/// Body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What is wrong, in words.
    pub error: String,
    /// Path of the offending field in the request, e.g. `structures[1].positions[3]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
}

/// Answer of `GET /health`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// "ok" while the model thread accepts work.
    pub status: String,
    /// Energy unit of the model.
    pub energy_unit: String,
    /// Cutoff radius of the model, Å.
    pub cutoff_angstrom: f64,
    /// Atomic numbers the model was trained on; empty when it accepts every element.
    pub elements: Vec<u8>,
    /// Requests waiting for the model now.
    pub queue_depth: i64,
}

/// A JSON array of three numbers: a Cartesian vector (Å, or the unit of the field).
fn vector3_schema() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::Number))
        .min_items(Some(3))
        .max_items(Some(3))
}

/// Shape (n, 3).
fn positions_schema() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new().items(vector3_schema())
}

/// Shape (3, 3).
fn cell_schema() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new().items(vector3_schema()).min_items(Some(3)).max_items(Some(3))
}

/// Shape (3,), booleans.
fn pbc_schema() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::Boolean))
        .min_items(Some(3))
        .max_items(Some(3))
}
