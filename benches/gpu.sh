#!/usr/bin/env bash
# Throughput of the default-size model on every GPU backend this machine can run, and on
# the CPU for comparison: energy+forces of ethanol batches of 1, 32 and 256 (structures/s),
# of one 10,000-atom structure (atoms/s), and force-training steps of batch 10 (steps/s).
#
#   benches/gpu.sh             # builds with the cuda and wgpu features, runs what works
#   SECONDS_PER_CASE=10 benches/gpu.sh
#
# A backend without a device (no NVIDIA driver, no Vulkan adapter) is reported and skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${SECONDS_PER_CASE:-5}"

cargo build --release -p so3krates-train --features wgpu,cuda || exit 1
for device in cuda wgpu cpu; do
    echo "== $device"
    target/release/so3krates bench --device "$device" --seconds "$seconds" \
        || echo "(skipped: $device is not usable here)"
done
