#!/usr/bin/env python3
"""Generate GFN2-xTB labelled cumulene geometries for the local vs non-local experiment.

Purpose
-------
A cumulene H2C(=C)_{n-2}=CH2 is a straight carbon chain whose two terminal CH2
groups "feel" each other through the conjugated pi system: the energy depends on
the twist angle tau between the two H-C-H planes, even when the ends are far
apart.  A message-passing model with cutoff r_c and L layers only sees atoms
within L*r_c of each atom (2 * 3 A = 6 A for the local baseline), so for a long
chain no atom's receptive field contains both ends and the twist energy is
invisible to it; a non-local model can learn it.  A short chain is the control:
there both ends fit in one receptive field, so both models should learn it.

What it writes (default output directory: the directory of this script)
------------------------------------------------------------------------
- cumulene_c12.xyz   : --frames (400) training frames of C12H4 (11 C=C bonds,
                       C1...C12 ~ 14.1 A);
- cumulene_c5.xyz    : --frames (400) training frames of C5H4 (4 C=C bonds,
                       C1...C5 ~ 5.2 A), the control;
- twist_scan_c12.xyz : tau = 0, 5, ..., 180 deg (37 frames), no displacement;
- twist_scan_c5.xyz  : the same for C5H4.

Geometry recipe (idealised, "optimised-looking"; not a GFN2 minimum)
-------------------------------------------------------------------
- carbons on the z axis, centred on the origin; terminal C=C 1.31 A, inner C=C 1.28 A;
- C-H 1.09 A, H-C-H 117 deg, the H atoms pointing away from the chain;
- the first CH2 lies in the xz plane; the last CH2 is that plane rotated by tau
  about z.  Atom order: C1..Cn, H(C1), H(C1), H(Cn), H(Cn).
- training frames: tau ~ Uniform[0, 180] deg, then an independent Gaussian
  displacement (sigma = 0.03 A) added to every Cartesian coordinate.
  Because a CH2 group is unchanged by a 180 deg turn, E(tau) = E(180 - tau) =
  E(tau + 180), so [0, 180] covers every distinct twist.
  The random numbers come from numpy's default_rng seeded with (seed, n_carbons),
  so each chain length has its own reproducible stream.

Labels
------
GFN2-xTB single points through the ``tblite`` Python API
(``tblite.interface.Calculator``), closed-shell (default, no spin polarisation),
default settings.  tblite's default electronic temperature for GFN2-xTB is
300 K (Fermi smearing), which is what "default" means here.  If the SCF fails for
*any* frame, every frame of every file is relabelled with the fallback electronic
temperature (--fallback-etemp, 1000 K by default), so one consistent method is used
throughout; the script prints which setting was used.

Units in the files (ASE conventions): positions A, energy eV (total energy, no
reference subtracted), forces eV/A (= -gradient).
Conversions: 1 Hartree = 27.211386245988 eV, 1 Bohr = 0.529177210903 A.

File format
-----------
Extended XYZ written by ``ase.io.write(format="extxyz")``; comment line e.g.
    Properties=species:S:1:pos:R:3:forces:R:3 energy=-744.77 twist_deg=37.5 pbc="F F F"
``twist_deg`` is the nominal twist tau (before the random displacement).
Every file is read back with ``ase.io.read(":")`` and checked to round-trip.

Usage (about 10-20 s on one core):
    python3 -m pip install tblite ase numpy
    OMP_NUM_THREADS=1 python3 data/cumulene/generate.py --frames 400 --seed 2024
"""

import argparse
import os
import time

import numpy as np
from ase import Atoms
from ase.io import read, write
from tblite.interface import Calculator

# CODATA 2018 conversion factors (as in the brief and in ASE's units module).
HARTREE_EV = 27.211386245988
BOHR_ANG = 0.529177210903
KB_HARTREE_PER_K = 3.166811563e-6  # Boltzmann constant in Hartree / K

# Geometry constants (Angstrom, degrees).
CC_TERMINAL = 1.31
CC_INNER = 1.28
CH = 1.09
HCH_DEG = 117.0


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", type=int, default=400, help="training frames per chain length")
    p.add_argument("--seed", type=int, default=2024, help="base random seed")
    p.add_argument("--sigma", type=float, default=0.03, help="Gaussian displacement sigma (A)")
    p.add_argument("--scan-step", type=float, default=5.0, help="twist scan step (deg)")
    p.add_argument("--long", type=int, default=12, help="carbon count of the long chain")
    p.add_argument("--short", type=int, default=5, help="carbon count of the short chain")
    p.add_argument(
        "--fallback-etemp",
        type=float,
        default=1000.0,
        help="electronic temperature (K) used for ALL frames if any SCF fails at the default",
    )
    p.add_argument("--cutoff", type=float, default=3.0, help="local model cutoff (A), for the check")
    p.add_argument("--layers", type=int, default=2, help="local model layers, for the check")
    p.add_argument("--outdir", default=here, help="output directory")
    return p.parse_args()


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------


def cumulene(n_carbons, twist_deg):
    """Atomic numbers and positions (A) of H2C(=C)_{n-2}=CH2 with terminal twist tau.

    Carbons lie on z, centred at the origin; the H atoms of C1 lie in the xz plane
    and point to -z; those of Cn are the mirror image rotated by tau about z.
    """
    assert n_carbons >= 3
    bonds = [CC_TERMINAL] + [CC_INNER] * (n_carbons - 3) + [CC_TERMINAL]
    z = np.concatenate([[0.0], np.cumsum(bonds)])
    z -= z.mean()
    carbons = np.zeros((n_carbons, 3))
    carbons[:, 2] = z

    half = np.radians(HCH_DEG / 2.0)
    radial, axial = CH * np.sin(half), CH * np.cos(half)  # |x| and |z| parts of a C-H bond
    tau = np.radians(twist_deg)
    h_first = [carbons[0] + [s * radial, 0.0, -axial] for s in (1.0, -1.0)]
    h_last = [
        carbons[-1] + [s * radial * np.cos(tau), s * radial * np.sin(tau), axial]
        for s in (1.0, -1.0)
    ]
    numbers = np.array([6] * n_carbons + [1] * 4)
    positions = np.vstack([carbons, h_first, h_last])
    return numbers, positions


def measured_twist_deg(positions, n_carbons):
    """Dihedral between the two H-H vectors projected perpendicular to the C1->Cn axis.

    Folded into [0, 180] (a CH2 group is symmetric under a 180 deg turn).
    Used only to report how much the displacement blurs the nominal tau.
    """
    axis = positions[n_carbons - 1] - positions[0]
    axis /= np.linalg.norm(axis)
    h = positions[n_carbons:]
    v1, v2 = h[0] - h[1], h[2] - h[3]
    v1 -= v1.dot(axis) * axis
    v2 -= v2.dot(axis) * axis
    ang = np.degrees(np.arctan2(np.cross(v1, v2).dot(axis), v1.dot(v2)))
    return ang % 180.0


def ends_share_receptive_field(numbers, positions, n_carbons, cutoff, layers):
    """True if some atom's L-hop neighbourhood (radius-graph, cutoff) holds an H of each end.

    An atom's energy in an L-layer message-passing model with this cutoff depends only
    on atoms reachable in <= L hops, so if no atom reaches an H on both ends, the
    model cannot see the relative orientation of the two CH2 groups.
    """
    d = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)
    adj = (d < cutoff).astype(int)  # includes self, so powers give "<= L hops"
    reach = np.linalg.matrix_power(adj, layers) > 0
    first = [n_carbons, n_carbons + 1]
    last = [n_carbons + 2, n_carbons + 3]
    return bool(np.any(reach[:, first].any(axis=1) & reach[:, last].any(axis=1)))


# ---------------------------------------------------------------------------
# Labelling
# ---------------------------------------------------------------------------


class ScfFailure(RuntimeError):
    pass


def gfn2(numbers, positions_ang, etemp_k=None):
    """GFN2-xTB energy (eV) and forces (eV/A), closed-shell; etemp_k=None: tblite default."""
    calc = Calculator("GFN2-xTB", numbers, positions_ang / BOHR_ANG)
    calc.set("verbosity", 0)
    if etemp_k is not None:
        calc.set("temperature", etemp_k * KB_HARTREE_PER_K)  # tblite expects Hartree
    try:
        res = calc.singlepoint()
    except RuntimeError as err:  # tblite raises RuntimeError when the SCF does not converge
        raise ScfFailure(str(err)) from err
    energy = float(res.get("energy")) * HARTREE_EV
    forces = -np.asarray(res.get("gradient"), dtype=float) * (HARTREE_EV / BOHR_ANG)
    return energy, forces


def label_all(geometries, etemp_k):
    """Label every (numbers, positions) pair; raise ScfFailure on the first failure."""
    out = []
    for i, (numbers, positions) in enumerate(geometries):
        try:
            out.append(gfn2(numbers, positions, etemp_k))
        except ScfFailure as err:
            raise ScfFailure(f"geometry {i}: {err}") from err
    return out


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def write_frames(path, geometries, labels, twists):
    """Write extxyz (ASE) and check that energies, forces and twists round-trip."""
    frames = []
    for (numbers, positions), (energy, forces), tau in zip(geometries, labels, twists):
        atoms = Atoms(numbers=numbers, positions=positions, pbc=False)
        # Labels go into info/arrays (not a SinglePointCalculator) so that ASE writes
        # the keys in this order: "... energy=E twist_deg=T pbc=...".  ASE's reader
        # turns `energy` and the `forces` column back into calculator results.
        atoms.info["energy"] = float(energy)
        atoms.info["twist_deg"] = float(tau)
        atoms.arrays["forces"] = np.asarray(forces, dtype=float)
        frames.append(atoms)
    write(path, frames, format="extxyz")

    back = read(path, index=":")
    assert len(back) == len(frames), path
    e_err = max(abs(b.get_potential_energy() - e) for b, (e, _) in zip(back, labels))
    f_err = max(np.abs(b.get_forces() - f).max() for b, (_, f) in zip(back, labels))
    x_err = max(np.abs(b.positions - g[1]).max() for b, g in zip(back, geometries))
    t_err = max(abs(b.info["twist_deg"] - t) for b, t in zip(back, twists))
    assert e_err < 1e-6 and f_err < 1e-6 and x_err < 1e-6 and t_err < 1e-9, (
        path,
        e_err,
        f_err,
        x_err,
        t_err,
    )
    with open(path) as fh:
        fh.readline()
        comment = fh.readline().strip()
    return e_err, f_err, comment


def summarise(name, labels, twists):
    e = np.array([x[0] for x in labels])
    f = np.concatenate([x[1] for x in labels])
    fnorm = np.linalg.norm(f, axis=1)
    print(f"  {name}: {len(labels)} frames, twist {min(twists):.1f}..{max(twists):.1f} deg")
    print(
        f"    energy min {e.min():.4f}  max {e.max():.4f}  span {e.max() - e.min():.4f}  "
        f"std {e.std():.4f} eV"
    )
    print(
        f"    |F| per atom min {fnorm.min():.4f}  mean {fnorm.mean():.4f}  max {fnorm.max():.4f} eV/A; "
        f"component std {f.std():.4f}, max |component| {np.abs(f).max():.4f} eV/A"
    )


def scan_facts(name, scan_labels, scan_twists):
    """Barrier and the error floor of a model that cannot see tau (from the scan)."""
    e = np.array([x[0] for x in scan_labels])
    f = np.array([x[1] for x in scan_labels])
    t = np.array(scan_twists)
    e0, e90 = e[np.argmin(abs(t - 0))], e[np.argmin(abs(t - 90))]
    # A tau-blind model predicts at best the tau-average; with tau ~ U[0,180] its
    # residual is E(tau) - <E>, and likewise for forces (scan has a uniform grid
    # including both end points, so use trapezoid weights).
    w = np.ones_like(t)
    w[0] = w[-1] = 0.5
    w /= w.sum()
    e_mean = (w * e).sum()
    e_floor = np.sqrt((w * (e - e_mean) ** 2).sum())
    f_mean = np.tensordot(w, f, axes=1)
    f_floor = np.sqrt(np.tensordot(w, ((f - f_mean) ** 2).mean(axis=(1, 2)), axes=1))
    # Angles within 1 meV of the extremum (E(tau) = E(180 - tau) gives ties).
    at_min = ", ".join(f"{x:.0f}" for x in t[e < e.min() + 1e-3])
    at_max = ", ".join(f"{x:.0f}" for x in t[e > e.max() - 1e-3])
    print(
        f"  {name}: E(90)-E(0) = {e90 - e0:+.4f} eV; E(0) = {e0:.4f}, E(90) = {e90:.4f} eV; "
        f"minimum at tau = {at_min} deg, maximum at tau = {at_max} deg"
    )
    print(
        f"    tau-blind error floor (tau ~ U[0,180]): energy RMSE {e_floor:.4f} eV, "
        f"force-component RMSE {f_floor:.4f} eV/A"
    )


def main():
    args = parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    t_start = time.time()

    # 1. Build all geometries first (labels come afterwards, in one consistent pass).
    jobs = {}  # file name -> (geometries, twists)
    for n in (args.long, args.short):
        rng = np.random.default_rng([args.seed, n])
        twists = rng.uniform(0.0, 180.0, size=args.frames)
        geoms = []
        for tau in twists:
            numbers, positions = cumulene(n, tau)
            positions = positions + rng.normal(0.0, args.sigma, size=positions.shape)
            geoms.append((numbers, positions))
        jobs[f"cumulene_c{n}.xyz"] = (n, geoms, list(twists))

        scan = list(np.arange(0.0, 180.0 + 1e-9, args.scan_step))
        jobs[f"twist_scan_c{n}.xyz"] = (n, [cumulene(n, tau) for tau in scan], scan)

    # 2. Receptive-field check of the local model (cutoff x layers) on every frame.
    print(f"Local receptive field check (cutoff {args.cutoff} A, {args.layers} layers):")
    for name, (n, geoms, _) in jobs.items():
        shared = sum(ends_share_receptive_field(z, r, n, args.cutoff, args.layers) for z, r in geoms)
        c1cn = np.mean([np.linalg.norm(r[n - 1] - r[0]) for _, r in geoms])
        print(f"  {name}: mean C1-C{n} {c1cn:.3f} A; frames where some atom sees both ends: "
              f"{shared}/{len(geoms)}")
    for name, (n, geoms, twists) in jobs.items():
        if name.startswith("cumulene_"):
            dev = [
                (measured_twist_deg(r, n) - t + 90.0) % 180.0 - 90.0
                for (_, r), t in zip(geoms, twists)
            ]
            print(f"  {name}: measured - nominal twist, std {np.std(dev):.2f} deg, "
                  f"max |.| {np.max(np.abs(dev)):.2f} deg")

    # 3. Label: tblite defaults first; if any SCF fails, redo everything at the fallback.
    etemp = None
    t_label = time.time()
    try:
        labels = {name: label_all(g, etemp) for name, (_, g, _) in jobs.items()}
    except ScfFailure as err:
        print(f"SCF failure with default settings ({err}); relabelling ALL frames at "
              f"{args.fallback_etemp} K electronic temperature")
        etemp = args.fallback_etemp
        labels = {name: label_all(g, etemp) for name, (_, g, _) in jobs.items()}
    n_calc = sum(len(v) for v in labels.values())
    print(
        f"Labelled {n_calc} geometries with GFN2-xTB (closed-shell, electronic temperature "
        f"{'tblite default (300 K)' if etemp is None else f'{etemp} K'}) in "
        f"{time.time() - t_label:.1f} s"
    )

    # 4. Write, verify, summarise.
    for name, (n, geoms, twists) in jobs.items():
        path = os.path.join(args.outdir, name)
        e_err, f_err, comment = write_frames(path, geoms, labels[name], twists)
        print(f"Wrote {path} ({os.path.getsize(path)} bytes); round-trip max |dE| {e_err:.1e} eV, "
              f"max |dF| {f_err:.1e} eV/A")
        print(f"  first comment line: {comment}")
    print("Statistics:")
    for name, (n, geoms, twists) in jobs.items():
        summarise(name, labels[name], twists)
    print("Twist scans:")
    for name, (n, geoms, twists) in jobs.items():
        if name.startswith("twist_scan_"):
            scan_facts(name, labels[name], twists)
    print(f"Total time {time.time() - t_start:.1f} s")


if __name__ == "__main__":
    main()
