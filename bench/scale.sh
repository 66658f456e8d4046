#!/usr/bin/env bash
# Scale: a stack of N target groups and N rules (100 rules per load balancer, one listener each),
# applied to the embedded emulator; then the no-op plan, unthrottled and with the emulator's
# AWS-like throttling (EMU_THROTTLE, see localstack/moto_server.py), with the API calls it makes.
#   bash bench/scale.sh [N ...]     default 100 300 1000; writes bench/results/scale.md
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 300 1000)
cargo build --quiet --release --bin lbstack
bin=$PWD/target/release/lbstack
port=${SCALE_EMU_PORT:-4569}
EMU_PORT=$port bash localstack/emulator.sh start >/dev/null
url=http://127.0.0.1:$port
export LBSTACK_ENDPOINT_URL=$url AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
unset AWS_PROFILE
work=$(mktemp -d)
trap 'curl -s -X POST --data off $url/_emulator/throttle >/dev/null; rm -rf "$work"' EXIT
seconds() { python3 -c 'import sys,time; t=time.monotonic(); import subprocess; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(f"{time.monotonic()-t:.2f}")' "$@"; }
# Calls a no-op plan makes (from --stats): all of them, then ELBv2 Describe* alone (the bucket
# that sets the floor). Fails unless the plan is empty.
plan_calls() {
  local out
  out=$("$bin" plan "$1" --stats --detailed-exitcode 2>&1) || { echo "the re-plan of $1 is not empty:" >&2; echo "$out" | head -40 >&2; exit 1; }
  echo "$out" | sed -n 's/^AWS API calls: \([0-9]*\).*/\1/p' | head -1
  echo "$out" | awk '/Elastic Load Balancing v2\.Describe/ {n += $1} END {print n + 0}'
}
generate() {
  python3 - "$1" "$2" <<'PY'
import sys
n, name = int(sys.argv[1]), sys.argv[2]
lbs = (n + 99) // 100
print(f"version: 1\nstack: {name}\ntarget_groups:")
for i in range(n):
    print(f"  t{i}: {{protocol: HTTP, port: 8080, health_check: {{path: /health}}}}")
print("load_balancers:")
for b in range(lbs):
    print(f"  lb{b}:\n    listeners:\n      http:\n        port: 80\n        protocol: HTTP\n        default_action: {{fixed_response: {{status: 404}}}}\n        rules:")
    for i in range(b * 100, min(n, (b + 1) * 100)):
        print(f"          - {{priority: {i - b * 100 + 1}, path: /s{i}/*, forward: t{i}}}")
PY
}
rows=()
for n in "${sizes[@]}"; do
  stack=scale$n-$$
  file=$work/$stack.yaml
  generate "$n" "$stack" > "$file"
  validate=$(seconds "$bin" validate "$file")
  apply=$(seconds "$bin" apply "$file" --auto-approve)
  plan=$(seconds "$bin" plan "$file")
  { read -r calls; read -r elb_describes; } < <(plan_calls "$file")
  curl -s -X POST --data aws "$url/_emulator/throttle" >/dev/null
  throttled_plan=$(LBSTACK_API_RATE=aws seconds "$bin" plan "$file")
  refused=$(curl -s "$url/_emulator/throttled")
  curl -s -X POST --data off "$url/_emulator/throttle" >/dev/null
  # The floor: ELBv2 Describe* calls beyond the bucket's 40, at its refill of 10 a second.
  floor=$(python3 -c "print(f'{max(0, $elb_describes - 40) / 10:.1f}')")
  destroy=$(seconds "$bin" destroy "$file" --auto-approve)
  rows+=("| $n | $((  (n + 99) / 100 )) | $validate | $apply | $plan | $calls | $elb_describes | $(python3 -c "print(f'{$calls / $n:.2f}')") | $throttled_plan | $floor | \`$refused\` | $destroy |")
  echo "${rows[-1]}" >&2
done
# Apply under the throttling buckets too, at one size (THROTTLED_APPLY_N, default 100; 0 skips it):
# writes are shaped to the assumed write buckets, so this takes minutes by design.
throttled_apply=""
n=${THROTTLED_APPLY_N:-100}
if [ "$n" -gt 0 ]; then
  stack=scale-thr$n-$$
  file=$work/$stack.yaml
  generate "$n" "$stack" > "$file"
  curl -s -X POST --data aws "$url/_emulator/throttle" >/dev/null
  secs=$(LBSTACK_API_RATE=aws seconds "$bin" apply "$file" --auto-approve)
  LBSTACK_API_RATE=aws "$bin" plan "$file" --detailed-exitcode >/dev/null 2>&1 || { echo "the re-plan after the throttled apply is not empty" >&2; exit 1; }
  refused=$(curl -s "$url/_emulator/throttled")
  curl -s -X POST --data off "$url/_emulator/throttle" >/dev/null
  "$bin" destroy "$file" --auto-approve >/dev/null 2>&1
  throttled_apply="Apply of N = $n under the throttling buckets (\`LBSTACK_API_RATE=aws\`): $secs s, refused: \`$refused\`; the re-plan after it is empty."
  echo "$throttled_apply" >&2
fi
{
  echo "# Scale: N target groups and N rules"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, release build, embedded emulator on loopback. Command: \`bash bench/scale.sh ${sizes[*]}\`."
  echo "Times in seconds. The no-op plan follows every page and reads per target group only what the stack declares;"
  echo "throttled: the emulator's AWS-like buckets on (ELBv2 Describe* 40, refilled at 10 a second), lbstack shaping its calls"
  echo "to them (\`LBSTACK_API_RATE=aws\`, at 95% of the published figures); floor: (ELBv2 Describe* calls - 40) / 10 s;"
  echo "refused: calls the emulator throttled (the SDK retried them). Every re-plan is checked empty."
  echo
  echo "| N | load balancers | validate | apply | no-op plan | calls | ELBv2 Describe* | calls per group | throttled plan | floor | refused | destroy |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  [ -z "$throttled_apply" ] || { echo; echo "$throttled_apply"; }
} > bench/results/scale.md
cat bench/results/scale.md
