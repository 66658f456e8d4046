#!/usr/bin/env bash
# The main job on the embedded emulator: start it, then check every stack offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash localstack/emulator.sh start
eval "$(bash localstack/emulator.sh env)"
cargo run --quiet --release -- validate stacks/shop.yaml examples/*.yaml
cargo run --quiet --release -- validate stacks/shop.yaml --var color=green
