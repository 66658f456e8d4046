#!/usr/bin/env bash
# Hostile stack files against `lbstack validate` (release build): wall time, peak memory and output
# size of each. The limits (under 1 MB of input: at most 2 s and 200 MB) are asserted in
# tests/it/hostile.rs; this measures how far under them each input stays.
#   bash bench/hostile.sh        writes bench/results/hostile.md
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --bin lbstack
bin=$PWD/target/release/lbstack
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import os, sys
w = sys.argv[1]
head = "version: 1\nstack: s\n"
def put(name, text):
    open(os.path.join(w, name + ".yaml"), "w").write(text)
long = "x" * 100_000
put("alias-of-long-text", head + f"a: &a {long}\ntags:\n" + "".join(f"  k{i}: *a\n" for i in range(5000)))
t = head + "l0: &l0 [" + ",".join(['"' + "z" * 1000 + '"'] * 10) + "]\n"
for i in range(1, 6):
    t += f"l{i}: &l{i} [" + ",".join([f"*l{i-1}"] * 10) + "]\n"
put("alias-bomb", t)
put("variable-many-times", head + "variables:\n  v: " + "y" * 50_000 + "\ntags:\n" + "".join(f"  k{i}: ${{var.v}}\n" for i in range(2000)))
t = head + "variables:\n  v0: " + "w" * 100 + "\n" + "".join(f"  v{i}: ${{var.v{i-1}}}${{var.v{i-1}}}\n" for i in range(1, 40))
put("variables-doubling", t + 'tags: {t: "${var.v39}"}\n')
key = "k" * 2000
put("long-keys-deep", head + "tags:\n" + "".join("  " * (d + 1) + key + ":\n" for d in range(60)) + "  " * 61 + "x: 1\n")
put("errors-on-one-line", head + "target_groups: {" + ",".join(f"k{i}: 1" for i in range(50_000)) + "}\n")
put("long-unknown-keys", head + "target_groups:\n  app:\n" + "".join(f"    {'protoco' * 20}{i}: 1\n" for i in range(5000)))
put("deep-nesting", head + "tags: " + "[" * 200 + "]" * 200 + "\n")
put("warnings-20000", head + "target_groups:\n" + "".join(f"  tg{i}: {{protocol: HTTP, port: {i % 65535 + 1}}}\n" for i in range(20000)))
PY
rows=()
for f in "$work"/*.yaml; do
  name=$(basename "$f" .yaml)
  size=$(stat -c %s "$f")
  # GNU time: elapsed seconds and peak resident KiB of the run.
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" validate "$f" > "$work/out" 2>&1 || true
  # GNU time writes "Command exited with non-zero status" first when validate fails (it should).
  read -r secs kib < <(tail -1 "$work/time")
  out=$(stat -c %s "$work/out")
  rows+=("| $name | $size | $secs s | $(( kib / 1024 )) MiB | $out |")
done
{
  echo "# Hostile stack files"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, release build. Command: \`bash bench/hostile.sh\`. \`lbstack validate\` of each file;"
  echo "limits asserted in tests/it/hostile.rs: under 1 MB of input, at most 2 s and 200 MB."
  echo
  echo "| input | bytes | time | peak memory | output bytes |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > bench/results/hostile.md
cat bench/results/hostile.md
