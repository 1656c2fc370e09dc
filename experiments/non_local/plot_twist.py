#!/usr/bin/env python3
"""Energy along the terminal twist of the cumulenes: GFN2-xTB against the local and the
non-local So3krates models (run_cumulene.sh writes the per-structure CSVs it reads).

    python3 experiments/non_local/plot_twist.py docs/cumulene_twist.png
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STEP_DEGREES = 5.0  # the scans run 0°, 5°, …, 180°


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    twist = [STEP_DEGREES * int(r["frame"]) for r in rows]
    return twist, [float(r["energy_reference"]) for r in rows], [float(r["energy_predicted"]) for r in rows]


def main(output):
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    titles = {
        "c12": "C12H4: ends 14.1 Å apart (beyond 2 layers × 3 Å)",
        "c5": "C5H4 (control): ends 5.2 Å apart",
    }
    for axis, chain in zip(axes, ["c12", "c5"]):
        twist, reference, local = read(f"runs/cumulene-{chain}-local/twist_scan.csv")
        _, _, non_local = read(f"runs/cumulene-{chain}-non-local/twist_scan.csv")
        zero = reference[0]
        axis.plot(twist, [e - zero for e in reference], "k-", lw=2, label="GFN2-xTB")
        axis.plot(twist, [e - zero for e in local], "o--", ms=3, label="local So3krates (r_cut 3 Å)")
        axis.plot(twist, [e - zero for e in non_local], "s-", ms=3, label="non-local So3krates (dynamic)")
        wide = f"runs/cumulene-{chain}-local-6A/twist_scan.csv"
        if os.path.exists(wide):
            _, _, local_wide = read(wide)
            axis.plot(twist, [e - zero for e in local_wide], "^:", ms=3, label="local So3krates, r_cut 6 Å")
        axis.set_title(titles[chain], fontsize=10)
        axis.set_xlabel("terminal twist τ (°)")
        axis.set_ylabel("E − E_GFN2(τ = 0) (eV)")
        axis.set_xticks(range(0, 181, 30))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.savefig(output, dpi=120)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/cumulene_twist.png")
