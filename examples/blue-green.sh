#!/usr/bin/env bash
# Blue-green with the reference stack on the embedded emulator: both colours from one file, a
# swap, a weighted shift, status from the zone, a rollback, then both colours destroyed.
#   bash examples/blue-green.sh
# Against AWS: skip the emulator lines, set ZONE to a hosted zone you own, and keep the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash localstack/emulator.sh start
eval "$(bash localstack/emulator.sh env)"
cargo build --quiet --bin lbstack
lbstack=target/debug/lbstack

ZONE=${ZONE:-bluegreen-demo.example.com}
NAME=shop.$ZONE
# The emulator starts empty: give it the hosted zone (on AWS it already exists).
.venv/emulator/venv/bin/python - "$ZONE" <<'PY'
import sys, time, boto3
r53 = boto3.client("route53")
if not any(z["Name"] == sys.argv[1] + "." for z in r53.list_hosted_zones()["HostedZones"]):
    r53.create_hosted_zone(Name=sys.argv[1], CallerReference=str(time.time()))
PY

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
colour() { echo "--var color=$1 --var zone=$ZONE --var domain=$NAME"; }

step "apply both colours from one file: shop-blue and shop-green"
$lbstack apply stacks/shop.yaml $(colour blue) --auto-approve 2>&1 | tail -1
$lbstack apply stacks/shop.yaml $(colour green) --auto-approve 2>&1 | tail -1
step "swap $NAME to blue (health gate first)"
$lbstack swap stacks/shop.yaml $(colour blue) --zone "$ZONE" --name "$NAME"
step "what a swap to green would do"
$lbstack swap stacks/shop.yaml $(colour green) --zone "$ZONE" --name "$NAME" --dry-run
step "shift to green in steps of weighted records"
$lbstack swap stacks/shop.yaml $(colour green) --zone "$ZONE" --name "$NAME" --steps 10,50,100 --interval 2s
step "status of green: load balancers, targets, groups, alarms, live colour"
$lbstack status stacks/shop.yaml $(colour green) --zone "$ZONE" --name "$NAME"
step "roll back to blue at once"
$lbstack swap --rollback --zone "$ZONE" --name "$NAME"
step "destroy both colours"
$lbstack destroy stacks/shop.yaml $(colour green) --auto-approve 2>&1 | tail -1
$lbstack destroy stacks/shop.yaml $(colour blue) --auto-approve 2>&1 | tail -1
echo done
