//! Structures shared by the benchmarks of so3krates-core and so3krates-md (the latter
//! includes this file by path).

use so3krates_core::Structure;

pub use so3krates_core::examples::ethanol;

/// 48 ethanol copies on a 4×4×3 grid; ethanol spans ~4.1 Å, so a 7.1 Å pitch leaves
/// 3 Å between neighbouring molecules. 432 atoms.
pub fn ethanol_cluster() -> Structure {
    let single = ethanol();
    let mut cluster = Structure::molecule(vec![], vec![]);
    for (a, b, c) in (0..4).flat_map(|a| (0..4).flat_map(move |b| (0..3).map(move |c| (a, b, c)))) {
        let offset = [a as f64 * 7.1, b as f64 * 7.1, c as f64 * 7.1];
        cluster.numbers.extend(&single.numbers);
        cluster
            .positions
            .extend(single.positions.iter().map(|r| [r[0] + offset[0], r[1] + offset[1], r[2] + offset[2]]));
    }
    cluster
}
