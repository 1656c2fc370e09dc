#!/usr/bin/env bash
# Local vs non-local (dynamic χ_cut, v0.1 normalised χ⁰) So3krates on GFN2-xTB cumulenes with
# the same budget: C12 (ends beyond any local receptive field) and the C5 control. Prints the
# test errors, evaluates every model along the undisplaced twist scans and plots the profiles
# (docs/cumulene_twist.png). For C5 also a local model with r_cut 6 Å. Results: runs/cumulene-*/ and runs/cumulene-summary.txt.
#
#   bash experiments/non_local/run_cumulene.sh      # from the repository root, ~20 min on 2 cores
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release -p so3krates-train
so3krates=target/release/so3krates
export RAYON_NUM_THREADS=1

train() {
    local chain=$1 kind=$2
    shift 2
    "$so3krates" train --config experiments/non_local/cumulene.toml --overwrite \
        --set run_dir="\"runs/cumulene-$chain-$kind\"" --set data.path="\"data/cumulene/cumulene_$chain.xyz\"" \
        "$@" > "runs/cumulene-$chain-$kind.log" 2>&1
}
non_local=(--set model.non_local.mode='"dynamic"' --set model.sphc_init_normalised=true)
train c12 local & train c12 non-local "${non_local[@]}" & wait
train c5 local & train c5 non-local "${non_local[@]}" & wait
# A second control: a local model whose cutoff (6 Å) puts both ends of C5 in one hop.
train c5 local-6A --set model.cutoff_angstrom=6.0

{
    for chain in c12 c5; do
        kinds=(local non-local)
        if [ "$chain" = c5 ]; then kinds+=(local-6A); fi
        for kind in "${kinds[@]}"; do
            echo "== $chain $kind"
            tail -n 2 "runs/cumulene-$chain-$kind.log"
            "$so3krates" evaluate --model "runs/cumulene-$chain-$kind" --data "data/cumulene/twist_scan_$chain.xyz" \
                --per-structure "runs/cumulene-$chain-$kind/twist_scan.csv" 2>&1 | tail -n 1
        done
    done
} | tee runs/cumulene-summary.txt
python3 experiments/non_local/plot_twist.py docs/cumulene_twist.png
