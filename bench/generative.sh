#!/usr/bin/env bash
# The generative contract test for as long as you like: random valid stacks and the edits users
# make, each step planned, applied, audited, re-planned (must be empty) and destroyed on the strict
# emulator. Reports steps per minute and every failure with its seed; each failure is shrunk and
# saved to target/generative/seed-N.json (copy it to tests/fixtures/generative/ once fixed).
#   bash bench/generative.sh [SECONDS]        default 600; writes bench/results/generative.md
#   LBSTACK_GENERATIVE_SEED=N bash bench/generative.sh     replays one seed
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
# Its own emulator, so other work on the default port is not disturbed.
export EMU_PORT=${EMU_PORT:-4620}
bash localstack/emulator.sh start
trap 'bash localstack/emulator.sh stop' EXIT
log=$(mktemp)
status=0
LBSTACK_GENERATIVE_SECONDS=$seconds cargo test --quiet --test it generative::generated_stacks_and_edits_keep_the_plan_contract -- --exact --nocapture \
  >"$log" 2>&1 || status=$?
summary=$(grep '^generative: [0-9]* scenarios' "$log" | tail -1 || true)
mkdir -p bench/results
{
  echo "# Generative contract test"
  echo
  echo "\`bash bench/generative.sh $seconds\` on $(date -u +%Y-%m-%d):"
  echo
  echo "- ${summary:-no summary (the run did not finish; see the log)}"
  grep -E '^seed [0-9]+: step' "$log" | sed 's/^/- /' || true
} > bench/results/generative.md
cat bench/results/generative.md
exit "$status"
