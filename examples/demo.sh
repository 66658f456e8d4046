#!/usr/bin/env bash
# The main job on the embedded emulator: check every stack offline, then plan, apply, re-plan
# (must be empty) and destroy a stack against the emulator's AWS APIs.
#   bash examples/demo.sh [STACK_FILE]     (default: examples/minimal-alb.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:-examples/minimal-alb.yaml}

bash localstack/emulator.sh start
eval "$(bash localstack/emulator.sh env)"
cargo build --quiet --bin lbstack
lbstack=target/debug/lbstack

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
step "validate (offline)"
$lbstack validate stacks/shop.yaml examples/*.yaml
step "plan $stack"
$lbstack plan "$stack"
step "apply"
$lbstack apply "$stack" --auto-approve --stats
step "plan again: must be empty (exit code 0 with --detailed-exitcode)"
$lbstack plan "$stack" --detailed-exitcode
step "destroy"
$lbstack destroy "$stack" --auto-approve
