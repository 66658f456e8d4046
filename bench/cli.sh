#!/usr/bin/env bash
# lbstack's own speed: validate, lint and simulate (offline), and plan of the applied reference
# stack against the embedded emulator, with the AWS API calls a plan makes. Installs hyperfine when missing.
#   bash bench/cli.sh        writes bench/results/cli.md
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine; }
cargo build --quiet --release --bin lbstack
bin=target/release/lbstack
bash localstack/emulator.sh install
bash localstack/emulator.sh start
eval "$(bash localstack/emulator.sh env)"
emu_python=${EMU_HOME:-.venv/emulator}/venv/bin/python
work=$(mktemp -d)
zone=bench-$$.example.com
# The hosted zone the reference stack validates its certificate in.
"$emu_python" -c 'import sys, boto3; boto3.client("route53").create_hosted_zone(Name=sys.argv[1], CallerReference=sys.argv[1])' "$zone"
vars=(--var color=blue --var "zone=$zone" --var "domain=shop.$zone")
hyperfine --warmup 5 --runs 50 -N --export-markdown "$work/validate.md" "$bin validate stacks/shop.yaml" >/dev/null
# A hostile size: 20,000 target groups, each drawing an "unused" warning with a snippet.
python3 -c "
print('version: 1\nstack: big\ntarget_groups:')
for i in range(20000): print(f'  tg{i}: {{protocol: HTTP, port: {i % 65535 + 1}}}')" > "$work/big.yaml"
hyperfine --warmup 1 --runs 5 -N -i --export-markdown "$work/big.md" "$bin validate $work/big.yaml" >/dev/null
hyperfine --warmup 5 --runs 30 -N --export-markdown "$work/lint.md" "$bin lint stacks/shop.yaml examples/asg-policies.yaml examples/minimal-alb.yaml" >/dev/null
# A year of minutes through the web group's policies and schedules, chart included.
hyperfine --warmup 1 --runs 5 -N --export-markdown "$work/simulate.md" "$bin simulate stacks/shop.yaml --load diurnal:low=30,high=150 --minutes 525600 --output json --chart $work/year.svg" >/dev/null
$bin apply stacks/shop.yaml "${vars[@]}" --auto-approve >/dev/null 2>&1
hyperfine --warmup 2 --runs 10 --export-markdown "$work/plan.md" "$bin plan stacks/shop.yaml ${vars[*]}" >/dev/null
$bin plan stacks/shop.yaml "${vars[@]}" --stats > /dev/null 2> "$work/stats.txt"
$bin destroy stacks/shop.yaml "${vars[@]}" --auto-approve >/dev/null 2>&1
{
  echo "# lbstack validate, lint, simulate and plan"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, release build, embedded emulator on loopback. Command: \`bash bench/cli.sh\`."
  echo
  echo "## validate of the reference stack (offline)"
  cat "$work/validate.md"
  echo
  echo "## validate of a 20,000-target-group stack (1 MB, 20,000 warnings rendered)"
  sed "s|$work/||" "$work/big.md"
  echo
  echo "## lint of the reference stack and two examples"
  sed "s|$work/||" "$work/lint.md"
  echo
  echo "## simulate a year (525,600 minutes) of the reference stack's web group, JSON and SVG"
  sed "s|$work/||" "$work/simulate.md"
  echo
  echo "## plan of the applied reference stack (no changes; 35 resources)"
  cat "$work/plan.md"
  echo
  echo '```'
  grep -v "^note:" "$work/stats.txt"
  echo '```'
} > bench/results/cli.md
cat bench/results/cli.md
rm -rf "$work"
