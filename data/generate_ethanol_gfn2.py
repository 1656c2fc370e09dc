#!/usr/bin/env python3
"""Generate a small ethanol MD training set with GFN2-xTB energies and forces.

What it does
------------
1. Builds a single ethanol molecule (``ase.build.molecule("CH3CH2OH")``, 9 atoms,
   non-periodic).
2. Attaches the GFN2-xTB semi-empirical tight-binding method through the
   ``tblite`` Python package (``tblite.ase.TBLite(method="GFN2-xTB")``).
3. Runs ASE Langevin dynamics at 500 K (timestep 0.5 fs, friction 0.01 / fs),
   starting from Maxwell-Boltzmann velocities drawn with a fixed seed, so the
   run is reproducible.
4. After an equilibration phase (default 1000 steps = 0.5 ps) it stores one
   frame every ``--stride`` steps (default 20 steps = 10 fs) until ``--frames``
   frames (default 1500) have been collected.
5. Writes the frames as extended XYZ.  Each frame's comment line carries
   ``energy=<total energy in eV>`` and ``pbc="F F F"``; the per-atom columns are
   ``species:S:1:pos:R:3:forces:R:3`` (positions in Angstrom, forces in eV/Angstrom).
   The file is read back and checked against the values computed in memory.

Units: energy in eV, positions in Angstrom, forces in eV/Angstrom
(ASE conventions; tblite results are converted by its ASE calculator).

Note: the labels are GFN2-xTB, *not* DFT.  This is a cheap, realistic-looking
dataset for tests and examples, not a reference-quality benchmark.

Runtime: about 2-3 minutes on one CPU core with the defaults
(31,000 MD steps, a few ms per GFN2-xTB force call for 9 atoms).
Set OMP_NUM_THREADS=1 for a small molecule like this; threading does not help.

Usage:
    pip install tblite ase numpy
    OMP_NUM_THREADS=1 python generate_ethanol_gfn2.py \
        --frames 1500 --stride 20 --seed 42 --output ethanol_gfn2_500K.xyz
"""

import argparse
import time

import numpy as np
from ase import Atoms, units
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write
from ase.md.langevin import Langevin
from ase.constraints import FixCom
from ase.md.velocitydistribution import Stationary, ZeroRotation
from tblite.ase import TBLite

try:  # ASE >= 3.29
    from ase.md.velocitydistribution import thermalize_momenta
except ImportError:  # older ASE
    from ase.md.velocitydistribution import (
        MaxwellBoltzmannDistribution as thermalize_momenta,
    )

TEMPERATURE_K = 500.0
TIMESTEP_FS = 0.5
FRICTION_PER_FS = 0.01


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", type=int, default=1500, help="number of frames to save")
    p.add_argument("--stride", type=int, default=20, help="MD steps between saved frames")
    p.add_argument("--equil", type=int, default=1000, help="equilibration steps (not saved)")
    p.add_argument("--seed", type=int, default=42, help="random seed (velocities + thermostat)")
    p.add_argument("--output", default="ethanol_gfn2_500K.xyz", help="output extended-XYZ file")
    return p.parse_args()


def snapshot(atoms, energy, forces):
    """A clean copy of the current geometry with energy/forces attached.

    A fresh Atoms object is built so that no momenta or other MD arrays end up
    in the file; only species, positions, energy and forces are written.
    """
    frame = Atoms(numbers=atoms.get_atomic_numbers(), positions=atoms.get_positions(), pbc=False)
    frame.calc = SinglePointCalculator(frame, energy=energy, forces=forces)
    return frame


def main():
    args = parse_args()
    rng = np.random.default_rng(args.seed)

    atoms = molecule("CH3CH2OH")
    atoms.calc = TBLite(method="GFN2-xTB", verbosity=0)

    thermalize_momenta(atoms, temperature_K=TEMPERATURE_K, rng=rng)
    Stationary(atoms)
    ZeroRotation(atoms)
    # Keep the centre of mass fixed (recommended over Langevin's fixcm=True).
    atoms.set_constraint(FixCom())

    dyn = Langevin(
        atoms,
        timestep=TIMESTEP_FS * units.fs,
        temperature_K=TEMPERATURE_K,
        friction=FRICTION_PER_FS / units.fs,
        fixcm=False,
        rng=rng,
    )

    t0 = time.time()
    print(f"Equilibrating {args.equil} steps at {TEMPERATURE_K:.0f} K ...", flush=True)
    dyn.run(args.equil)
    print(
        f"  done in {time.time() - t0:.1f} s, T = {atoms.get_temperature():.0f} K",
        flush=True,
    )

    frames = []
    energies = []
    forces_all = []
    report_every = max(1, args.frames // 10)
    for i in range(args.frames):
        dyn.run(args.stride)
        e = float(atoms.get_potential_energy())
        # Raw GFN2-xTB forces, without the FixCom projection applied.
        f = np.array(atoms.get_forces(apply_constraint=False), dtype=float)
        frames.append(snapshot(atoms, e, f))
        energies.append(e)
        forces_all.append(f)
        if (i + 1) % report_every == 0 or i + 1 == args.frames:
            print(
                f"  frame {i + 1:5d}/{args.frames}  E = {e:12.5f} eV  "
                f"T = {atoms.get_temperature():6.0f} K  elapsed {time.time() - t0:7.1f} s",
                flush=True,
            )

    write(args.output, frames, format="extxyz")
    wall = time.time() - t0

    # Read back and verify that energy/forces survived under the expected names.
    with open(args.output) as fh:
        fh.readline()
        comment = fh.readline()
    assert "energy=" in comment, f"no energy= in comment line: {comment!r}"
    assert "forces:R:3" in comment, f"no forces:R:3 column: {comment!r}"

    back = read(args.output, index=":")
    assert len(back) == args.frames
    e_back = np.array([a.get_potential_energy() for a in back])
    f_back = np.array([a.get_forces() for a in back])
    energies = np.array(energies)
    forces_all = np.array(forces_all)
    e_err = np.max(np.abs(e_back - energies))
    f_err = np.max(np.abs(f_back - forces_all))
    assert e_err < 1e-6, f"energy round-trip error {e_err}"
    assert f_err < 1e-6, f"force round-trip error {f_err}"

    print(f"Wrote {args.frames} frames to {args.output} in {wall:.1f} s")
    print(f"  round-trip max |dE| = {e_err:.2e} eV, max |dF| = {f_err:.2e} eV/A")
    print(
        f"  energy: mean {energies.mean():.4f} eV, std {energies.std():.4f} eV, "
        f"min {energies.min():.4f}, max {energies.max():.4f}"
    )
    print(
        f"  forces: component std {forces_all.std():.4f} eV/A, "
        f"max |F| {np.abs(forces_all).max():.4f} eV/A"
    )


if __name__ == "__main__":
    main()
