#!/usr/bin/env bash
# lbstack-target against nginx on /health, side by side in one run, then a drain under load.
#   bash bench/target.sh [seconds per run, default 10] [connections, default 100] [rounds, default 3]
# The two servers are measured in alternating rounds and the medians reported: on a small machine
# where wrk shares the cores, single runs vary by 10-20%.
# Installs wrk and nginx (Debian packages) when missing. Everything listens on 127.0.0.1 only.
# Writes bench/results/target.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-100}
rounds=${3:-3}
threads=2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

[ -n "${LBSTACK_BENCH_NO_BUILD:-}" ] || cargo build --quiet --release -p lbstack-target
target_bin=target/release/lbstack-target

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

# nginx: the same JSON shape, a fixed 200, one worker per core, no access log.
nginx_port=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$nginx_port;
    location = /health {
      default_type application/json;
      return 200 '{"status":"ok","instance_id":"i-bench","availability_zone":"local","version":"nginx","uptime_seconds":1}';
    }
  }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)

target_port=$(free_port)
"$target_bin" --bind 127.0.0.1 --port "$target_port" --instance-id i-bench --availability-zone local --imds never >/dev/null 2>&1 &
pids+=($!)
wait_port "$nginx_port"; wait_port "$target_port"

run() { # name url -> appends "rps p50 p99" to $work/name.rows
  wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$2" > "$work/$1.txt"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$1.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/$1.txt")
  errors=$(awk '/Socket errors|Non-2xx/ {print}' "$work/$1.txt" | tr '\n' ' ')
  echo "$rps $p50 $p99 ${errors:-none}" >> "$work/$1.rows"
}
median() { # file column -> median value (numeric sort, keeps units)
  python3 - "$1" "$2" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
col = int(sys.argv[2])
def val(s):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if s.endswith(unit): return float(s[:-len(unit)]) * f
    return float(s)
vals = sorted(rows, key=lambda r: val(r[col]))
print(vals[len(vals) // 2][col])
PY
}

echo "== throughput: $rounds alternating rounds of wrk -t$threads -c$conns -d${secs}s --latency /health"
wrk -t"$threads" -c"$conns" -d2s "http://127.0.0.1:$target_port/health" >/dev/null # warm-up
wrk -t"$threads" -c"$conns" -d2s "http://127.0.0.1:$nginx_port/health" >/dev/null
for r in $(seq 1 "$rounds"); do
  run lbstack-target "http://127.0.0.1:$target_port/health"
  run nginx "http://127.0.0.1:$nginx_port/health"
  echo "  round $r: lbstack-target $(tail -1 "$work/lbstack-target.rows" | cut -d' ' -f1,3) | nginx $(tail -1 "$work/nginx.rows" | cut -d' ' -f1,3)"
done
t_rps=$(median "$work/lbstack-target.rows" 0); t_p50=$(median "$work/lbstack-target.rows" 1); t_p99=$(median "$work/lbstack-target.rows" 2)
n_rps=$(median "$work/nginx.rows" 0); n_p50=$(median "$work/nginx.rows" 1); n_p99=$(median "$work/nginx.rows" 2)
t_err=$(cut -d' ' -f4- "$work/lbstack-target.rows" | sort -u | tr '\n' ' ')
n_err=$(cut -d' ' -f4- "$work/nginx.rows" | sort -u | tr '\n' ' ')
t_all=$(cut -d' ' -f1 "$work/lbstack-target.rows" | tr '\n' ' ')
n_all=$(cut -d' ' -f1 "$work/nginx.rows" | tr '\n' ' ')
ratio=$(python3 -c "print(f'{$t_rps/$n_rps:.2f}')")
# How stable the ratio is: the ratio of each round (the two servers ran back to back in it).
spread=$(python3 - "$work/lbstack-target.rows" "$work/nginx.rows" <<'PY'
import sys, statistics
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.strip()]
n = [float(l.split()[0]) for l in open(sys.argv[2]) if l.strip()]
r = sorted(a / b for a, b in zip(t, n))
print(f"per round {min(r):.2f} to {max(r):.2f} (median {statistics.median(r):.2f}, {len(r)} rounds)")
PY
)

# Drain under load: SIGTERM 3 s into a wrk run; a prober records /health every 100 ms.
drain_port=$(free_port)
"$target_bin" --bind 127.0.0.1 --port "$drain_port" --instance-id i-drain --imds never --drain-seconds 4 >/dev/null 2>"$work/drain.log" &
drain_pid=$!
pids+=($drain_pid)
wait_port "$drain_port"
wrk -t"$threads" -c50 -d10s "http://127.0.0.1:$drain_port/work?ms=20" > "$work/drain-wrk.txt" &
wrk_pid=$!
python3 - "$drain_port" > "$work/probe.txt" <<'PY' &
import sys, time, http.client
port = int(sys.argv[1]); t0 = time.time()
while time.time() - t0 < 12:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2); c.request("GET", "/health")
        print(f"{time.time()-t0:.1f} {c.getresponse().status}", flush=True); c.close()
    except Exception as e:
        print(f"{time.time()-t0:.1f} {type(e).__name__}", flush=True)
    time.sleep(0.1)
PY
probe_pid=$!
sleep 3
kill -TERM "$drain_pid"
term_at=3
wait "$wrk_pid" || true
wait "$drain_pid"; drain_exit=$?
wait "$probe_pid" || true
read_errors=$(awk '/Socket errors/ {for(i=1;i<=NF;i++) if($i=="read") print $(i+1)}' "$work/drain-wrk.txt" | tr -d ,)
drain_requests=$(awk '/requests in/ {print $1}' "$work/drain-wrk.txt")
# /health answers during the drain window (between SIGTERM and the first refused connection).
statuses=$(awk -v t="$term_at" '$1 > t+0.2 {print $2}' "$work/probe.txt" | awk '$1 != "ConnectionRefusedError"' | sort | uniq -c | tr '\n' ' ')

report=$(cat <<EOF
# lbstack-target vs nginx on /health

$(date -u +%Y-%m-%d), $(nproc) cores, wrk and both servers on the same machine over loopback.
Command: \`bash bench/target.sh $secs $conns $rounds\`: $rounds alternating rounds of wrk -t$threads -c$conns -d${secs}s --latency
after a 2 s warm-up each; medians shown (all rounds, requests/s: lbstack-target $t_all; nginx $n_all).

| server | requests/s (median) | p50 | p99 | errors |
|---|---|---|---|---|
| lbstack-target (release) | $t_rps | $t_p50 | $t_p99 | $t_err |
| nginx ($("$nginx_bin" -v 2>&1 | sed 's/.*\///'), fixed 200) | $n_rps | $n_p50 | $n_p99 | $n_err |

lbstack-target / nginx throughput: **$ratio** (of the medians; $spread)

## Drain under load

wrk -c50 on \`/work?ms=20\` for 10 s, SIGTERM at 3 s, \`--drain-seconds 4\`:
- requests completed by wrk: $drain_requests; read errors (accepted requests cut off): ${read_errors:-0}
- /health answers after SIGTERM (count status): $statuses
- exit code: $drain_exit
EOF
)
echo "$report"
mkdir -p bench/results
echo "$report" > bench/results/target.md
