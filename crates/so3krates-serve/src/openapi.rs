//! The OpenAPI document, generated from the handlers and the wire types.

use utoipa::OpenApi;

use crate::api::{
    ErrorBody, HealthResponse, PredictRequest, PredictResponse, Property, ResponseUnits, StructureInput,
    StructureResult,
};

/// The API of the server; `ApiDoc::openapi()` is what `GET /openapi.json` serves.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "so3krates-serve",
        description = "Energies, forces and stress from a So3krates force field. Lengths in Å; \
                       energies in the model's unit, stated in every response."
    ),
    paths(
        crate::routes::predict,
        crate::routes::health,
        crate::routes::metrics,
        crate::routes::openapi_json
    ),
    components(schemas(
        PredictRequest,
        StructureInput,
        Property,
        PredictResponse,
        ResponseUnits,
        StructureResult,
        ErrorBody,
        HealthResponse
    ))
)]
pub struct ApiDoc;
