#!/usr/bin/env python3
"""Regenerates the data-reader fixtures in this folder (numpy + ASE).

    pip install numpy ase
    python make_fixtures.py            # rewrite the fixtures, then check them with ASE

Values follow simple formulas (see `positions`, `energies`, `forces` below) that the Rust
tests in `src/io/npz.rs` and `src/io/extxyz.rs` recompute, so no JSON side file is needed.
If `written_by_rust.extxyz` exists (the golden output of `write_extxyz`, pinned by the
Rust test `writer_output_matches_golden_file`), the script also checks that ASE reads it
back to the frames of `ase_written.extxyz`.
"""

from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write

HERE = Path(__file__).resolve().parent

# Formaldehyde CH2O: 4 atoms, 3 frames.
Z = np.array([6, 8, 1, 1])
BASE = np.array([[0.0, 0.0, 0.0], [1.2, 0.0, 0.0], [-0.6, 0.9, 0.0], [-0.6, -0.9, 0.0]])
N_FRAMES = 3


def positions():
    """R[m, i, k] = BASE[i, k] + 0.01 * m * (k + 1), shape (3, 4, 3), Angstrom."""
    m = np.arange(N_FRAMES)[:, None, None]
    k = np.arange(3)[None, None, :]
    return BASE[None] + 0.01 * m * (k + 1)


def energies():
    """E[m] = -100.5 - 0.25 * m, shape (3,), kcal/mol."""
    return -100.5 - 0.25 * np.arange(N_FRAMES)


def forces():
    """F[m, i, k] = 0.1 * (i + 1) - 0.05 * k + 0.01 * m, shape (3, 4, 3)."""
    m = np.arange(N_FRAMES)[:, None, None]
    i = np.arange(len(Z))[None, :, None]
    k = np.arange(3)[None, None, :]
    return 0.1 * (i + 1) - 0.05 * k + 0.01 * m


def sgdml_metadata():
    return dict(name=np.array("formaldehyde"), theory=np.array("toy"), type=np.array("d"),
                md5=np.array(b"0123456789abcdef"))


def write_npz_fixtures():
    R, E, F = positions(), energies(), forces()

    # sGDML as published for MD17: E (M, 1), z (N,) uint8, compressed, string metadata.
    np.savez_compressed(HERE / "sgdml_e2d.npz", R=R, z=Z.astype(np.uint8), E=E[:, None], F=F,
                        **sgdml_metadata())

    # sGDML converter style: E (M,), z per frame (M, N) int64 with frame 1 reordered,
    # R stored in Fortran order, uncompressed.
    z_frames = np.tile(Z, (N_FRAMES, 1)).astype(np.int64)
    z_frames[1] = [8, 6, 1, 1]
    np.savez(HERE / "sgdml_e1d_zframes.npz", R=np.asfortranarray(R), z=z_frames, E=E, F=F)

    # rMD17 keys.
    np.savez_compressed(HERE / "rmd17.npz", nuclear_charges=Z.astype(np.int64), coords=R,
                        energies=E, forces=F, old_indices=np.arange(N_FRAMES),
                        old_energies=E + 1.0, old_forces=F)

    # Periodic: lattice as columns (cell.T), no pbc key (so all periodic); z int32.
    cell = np.array([[5.0, 0.0, 0.0], [1.0, 6.0, 0.0], [0.5, 0.2, 7.0]])
    np.savez(HERE / "sgdml_lattice.npz", R=R, z=Z.astype(np.int32), E=E, F=F, lattice=cell.T)

    # Periodic: unit_cell per frame as rows, pbc (3,) bool.
    unit_cells = np.stack([cell * (1.0 + 0.1 * m) for m in range(N_FRAMES)])
    np.savez(HERE / "unit_cell_pbc.npz", R=R, z=Z, E=E, unit_cell=unit_cells,
             pbc=np.array([True, True, False]))

    # f32 reals, uint16 z, E (M, 1).
    np.savez(HERE / "sgdml_f32.npz", R=R.astype(np.float32), z=Z.astype(np.uint16),
             E=E[:, None].astype(np.float32), F=F.astype(np.float32))

    # Broken or partial files.
    np.savez(HERE / "sgdml_missing_f.npz", R=R, z=Z, E=E)
    np.savez(HERE / "sgdml_missing_z.npz", R=R, E=E, F=F)
    np.savez(HERE / "sgdml_shape_mismatch.npz", R=R, z=Z, E=E, F=np.zeros((N_FRAMES, 5, 3)))
    F_nan = F.copy()
    F_nan[2, 1, 0] = np.nan
    np.savez(HERE / "sgdml_nan.npz", R=R, z=Z, E=E, F=F_nan)
    np.savez(HERE / "unknown_layout.npz", pos=R, numbers=Z)


# Frames of ase_written.extxyz. REF_* labels differ from the calculator's energy/forces so
# that the tests see which key was read.
REF_ENERGIES = [-1234.5678901234, -76.25, -215.125]
CELL = [[5.4, 0.0, 0.0], [0.1, 5.4, 0.0], [0.2, 0.3, 9.0]]
REF_STRESS = [[0.1, 0.6, 0.5], [0.6, 0.2, 0.4], [0.5, 0.4, 0.3]]


def ase_frames():
    """CH2O (4 atoms), H2O (3 atoms), periodic Si2 (2 atoms, pbc T T F)."""
    molecule = Atoms("CH2O", positions=[[0, 0, 0], [1.1, 0, 0], [0, 1.1, 0], [0, 0, 1.2]])
    water = Atoms("OH2", positions=[[0, 0, 0.119], [0, 0.763, -0.477], [0, -0.763, -0.477]])
    silicon = Atoms("Si2", positions=[[0, 0, 0], [1.3575, 1.3575, 1.3575]], cell=CELL,
                    pbc=[True, True, False])

    frames = [molecule, water, silicon]
    for m, atoms in enumerate(frames):
        n = len(atoms)
        ref_forces = 0.125 * (np.arange(3 * n).reshape(n, 3) - m)
        atoms.info["REF_energy"] = REF_ENERGIES[m]
        atoms.arrays["REF_forces"] = ref_forces
        calc = {"energy": REF_ENERGIES[m] + 1000.0, "forces": -ref_forces}
        if atoms.pbc.any():
            atoms.info["REF_stress"] = np.array(REF_STRESS)
            calc["stress"] = -np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        atoms.calc = SinglePointCalculator(atoms, **calc)
    return frames


REORDERED = """\
3
 REF_energy = -76.25 Properties=REF_forces:R:3:Z:I:1:tag:I:1:pos:R:3:fixed:L:1 note="a quoted value, with spaces" converged pbc="F F F"
0.5 -0.25 0.125 8 7 0.0 0.0 0.119 T
0.0 0.25 -0.0625 1 7 0.0 0.763 -0.477 F
-0.5 0.0 -0.0625 1 7 0.0 -0.763 -0.477 F
2
Lattice="4.0 0.0 0.0 0.0 4.0 0.0 0.0 0.0 4.0" Properties=REF_forces:R:3:species:S:1:tag:I:1:pos:R:3:fixed:L:1 REF_energy=-8.5
1.0 2.0 3.0 si 1 0.0 0.0 0.0 F
-1.0 -2.0 -3.0 SI 2 2.0 2.0 2.0 T
"""

PLAIN = """\
3
water molecule, plain XYZ
O 0.0 0.0 0.119
H 0.0 0.763 -0.477
H 0.0 -0.763 -0.477
2
hydrogen molecule
H 0.0 0.0 0.0
H 0.0 0.0 0.74

"""

HEADER = 'Properties=species:S:1:pos:R:3 energy=-1.0 pbc="F F F"'
MALFORMED = {
    # Frame 1 declares 5 atoms but has 3 atom lines.
    "bad_truncated.extxyz": f"2\n{HEADER}\nH 0 0 0\nH 0 0 0.74\n"
                            f"5\n{HEADER}\nO 0 0 0\nH 0 0.76 -0.48\nH 0 -0.76 -0.48\n",
    # Frame 0, line 4 (atom 1): unknown symbol.
    "bad_symbol.extxyz": f"2\n{HEADER}\nH 0 0 0\nXx 0 0 0.74\n",
    # Frame 0: 8 Lattice numbers.
    "bad_lattice.extxyz": '1\nLattice="4 0 0 0 4 0 0 0" Properties=species:S:1:pos:R:3\n'
                          "Si 0 0 0\n",
    # Frame 1, atom 2: NaN position (line 9).
    "bad_nan.extxyz": f"1\n{HEADER}\nH 0 0 0\n3\n{HEADER}\nO 0 0 0\nH 0 0.76 -0.48\n"
                      "H 0 nan -0.48\n",
}


def write_extxyz_fixtures():
    write(HERE / "ase_written.extxyz", ase_frames(), format="extxyz")
    (HERE / "reordered.extxyz").write_text(REORDERED)
    (HERE / "plain.xyz").write_text(PLAIN)
    for name, text in MALFORMED.items():
        (HERE / name).write_text(text)


def check_with_ase():
    """ASE reads the hand-written fixtures as the Rust tests expect."""
    expected = ase_frames()
    for atoms, want in zip(read(HERE / "ase_written.extxyz", ":"), expected):
        assert np.allclose(atoms.positions, want.positions)
        assert atoms.info["REF_energy"] == want.info["REF_energy"]
        assert np.allclose(atoms.arrays["REF_forces"], want.arrays["REF_forces"])

    water, cube = read(HERE / "reordered.extxyz", ":")
    assert list(water.numbers) == [8, 1, 1] and water.info["REF_energy"] == -76.25
    assert water.info["converged"] is True and not water.pbc.any()
    assert np.allclose(water.arrays["REF_forces"][0], [0.5, -0.25, 0.125])
    assert np.allclose(water.positions[1], [0.0, 0.763, -0.477])
    assert list(cube.numbers) == [14, 14] and cube.pbc.all()
    assert np.allclose(cube.cell, 4.0 * np.eye(3))
    assert np.allclose(cube.arrays["REF_forces"][1], [-1.0, -2.0, -3.0])

    plain = read(HERE / "plain.xyz", ":")
    assert [len(a) for a in plain] == [3, 2]


def check_rust_written():
    """ASE reads the writer's golden output back to the frames of ase_written.extxyz."""
    path = HERE / "written_by_rust.extxyz"
    if not path.exists():
        print(f"{path.name} not found: skipped the check of the Rust writer")
        return
    got = read(path, ":")
    want = ase_frames()
    assert len(got) == len(want)
    for atoms, ref in zip(got, want):
        assert list(atoms.numbers) == list(ref.numbers)
        assert np.array_equal(atoms.positions, ref.positions)
        assert np.array_equal(atoms.cell[:], ref.cell[:]) and list(atoms.pbc) == list(ref.pbc)
        assert atoms.get_potential_energy() == ref.info["REF_energy"]
        assert np.array_equal(atoms.get_forces(), ref.arrays["REF_forces"])
        if ref.pbc.any():
            s = np.array(REF_STRESS)
            voigt = [s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]]
            assert np.array_equal(atoms.get_stress(), voigt)
    print(f"{path.name}: ASE reads the Rust writer's output exactly")


def main():
    write_npz_fixtures()
    write_extxyz_fixtures()
    check_with_ase()
    check_rust_written()


if __name__ == "__main__":
    main()
