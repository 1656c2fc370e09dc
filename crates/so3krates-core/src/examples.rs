//! Ready-made structures for examples, tests and benchmarks.

use crate::structure::Structure;

/// Ethanol (Å), the first frame of MD17 ethanol; atom order C C O H H H H H H.
pub fn ethanol() -> Structure {
    Structure::molecule(
        vec![6, 6, 8, 1, 1, 1, 1, 1, 1],
        vec![
            [0.0072, -0.5687, 0.0],
            [-1.2854, 0.2499, 0.0],
            [1.1304, 0.3147, 0.0],
            [0.0392, -1.1972, 0.8900],
            [0.0392, -1.1972, -0.8900],
            [-1.3175, 0.8784, 0.8900],
            [-1.3175, 0.8784, -0.8900],
            [-2.1422, -0.4239, 0.0],
            [1.9857, -0.1365, 0.0],
        ],
    )
}
