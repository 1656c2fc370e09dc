#!/usr/bin/env python3
"""Synthetic "far dimers" of the non-local spec (../shared/docs/so3krates-nonlocal.md, §8A).

Two carbon dimers with bond lengths b_A, b_B ~ U(0.9, 1.1) Å and independent, uniformly
random orientations; their centres R_AB apart along a random direction. The energy

    E = k_b [(b_A − 1)² + (b_B − 1)²] + k_c P₂(b̂_A · b̂_B),   P₂(c) = (3c² − 1)/2,

with k_b = 5 eV/Å² and k_c = 1 eV, depends on the angle between the bonds but not on R_AB.
Forces are analytic. With R_AB ≥ 8 Å and r_cut = 3 Å the local graph is two disconnected
dimers, so a local model can only learn g(A) + g(B) and its error cannot fall below
energy MAE 0.385 k_c (the spec's floor).

Writes extended XYZ (energy in eV, forces in eV/Å) that `so3krates train` reads.

    python3 far_dimers.py --frames 3500 --min-separation 8 --max-separation 12 --seed 1 out.xyz
"""
import argparse

import numpy as np

K_BOND = 5.0  # eV/Å²
K_COUPLING = 1.0  # eV


def random_unit_vectors(rng, n):
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def energy_and_forces(positions):
    """positions (4, 3): A1, A2, B1, B2. Returns E (eV) and forces (4, 3) (eV/Å)."""
    bonds = [positions[1] - positions[0], positions[3] - positions[2]]
    lengths = [np.linalg.norm(v) for v in bonds]
    units = [v / b for v, b in zip(bonds, lengths)]
    cosine = float(units[0] @ units[1])

    energy = K_BOND * sum((b - 1.0) ** 2 for b in lengths) + K_COUPLING * 0.5 * (3 * cosine**2 - 1)

    forces = np.zeros((4, 3))
    for k, (b, u, other) in enumerate(zip(lengths, units, units[::-1])):
        # dE/dv for the bond vector v = R_2 − R_1 of this dimer.
        d_cosine = (other - cosine * u) / b
        gradient = 2 * K_BOND * (b - 1.0) * u + K_COUPLING * 3 * cosine * d_cosine
        forces[2 * k] += gradient
        forces[2 * k + 1] -= gradient
    return energy, forces


def frames(rng, n, min_separation, max_separation):
    for _ in range(n):
        lengths = rng.uniform(0.9, 1.1, size=2)
        axes = random_unit_vectors(rng, 2)
        separation = rng.uniform(min_separation, max_separation)
        centre_b = random_unit_vectors(rng, 1)[0] * separation
        positions = np.array(
            [
                -0.5 * lengths[0] * axes[0],
                0.5 * lengths[0] * axes[0],
                centre_b - 0.5 * lengths[1] * axes[1],
                centre_b + 0.5 * lengths[1] * axes[1],
            ]
        )
        energy, forces = energy_and_forces(positions)
        yield positions, energy, forces, separation


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output")
    parser.add_argument("--frames", type=int, default=3500)
    parser.add_argument("--min-separation", type=float, default=8.0, help="Å")
    parser.add_argument("--max-separation", type=float, default=12.0, help="Å")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    with open(args.output, "w") as out:
        for positions, energy, forces, separation in frames(rng, args.frames, args.min_separation, args.max_separation):
            out.write("4\n")
            out.write(
                f'Properties=species:S:1:pos:R:3:forces:R:3 energy={energy:.12f} '
                f'separation={separation:.6f} pbc="F F F"\n'
            )
            for r, f in zip(positions, forces):
                out.write("C " + " ".join(f"{x:.10f}" for x in (*r, *f)) + "\n")


if __name__ == "__main__":
    main()
