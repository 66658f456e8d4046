#!/usr/bin/env bash
# The embedded AWS emulator: moto server, pinned in requirements-moto.lock, in a private virtualenv.
#   localstack/emulator.sh install   create the virtualenv (idempotent)
#   localstack/emulator.sh start     install if needed, start on 127.0.0.1:$EMU_PORT, wait until it answers
#   localstack/emulator.sh stop      stop the server started by `start`
#   localstack/emulator.sh status    exit 0 when the emulator answers
#   localstack/emulator.sh env       print the variables that point the AWS SDK at it
# EMU_PORT (default 4566) picks the port; EMU_HOME (default .venv/emulator) where it lives.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
port=${EMU_PORT:-4566}
home=${EMU_HOME:-$root/.venv/emulator}
venv=$home/venv
pidfile=$home/moto-$port.pid
logfile=$home/moto-$port.log
url=http://127.0.0.1:$port

answers() { python3 - "$url" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1).read(); sys.exit(0)
except Exception:
    sys.exit(1)
PY
}

install() {
  mkdir -p "$home"
  if [ -x "$venv/bin/moto_server" ] && cmp -s "$here/requirements-moto.lock" "$venv/.lock"; then return 0; fi
  echo "emulator: installing moto server into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements-moto.lock"
  cp "$here/requirements-moto.lock" "$venv/.lock"
}

start() {
  if answers; then echo "emulator: already answering on $url" >&2; return 0; fi
  install
  # Fixed account and fast ACM validation keep tests deterministic.
  # AWS's clock runs 100 times faster for tests (localstack/aws_rules.py, DURATIONS).
  MOTO_ACCOUNT_ID=${MOTO_ACCOUNT_ID:-000000000000} EMU_TIME_SCALE=${EMU_TIME_SCALE:-0.01} \
    nohup "$venv/bin/python" "$here/moto_server.py" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if answers; then echo "emulator: moto server on $url (pid $(cat "$pidfile"), log $logfile)" >&2; return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "emulator: moto server exited; see $logfile" >&2; tail -20 "$logfile" >&2; return 1; fi
    sleep 0.1
  done
  echo "emulator: no answer on $url after 10 s; see $logfile" >&2
  return 1
}

stop() {
  [ -f "$pidfile" ] || { echo "emulator: not started by this script on port $port" >&2; return 0; }
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) answers ;;
  # lbstack waits on the emulator's clock (LBSTACK_TIME_SCALE), as fast as the emulator runs AWS's.
  env) printf 'export AWS_ENDPOINT_URL=%s\nexport AWS_ACCESS_KEY_ID=test\nexport AWS_SECRET_ACCESS_KEY=test\nexport AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\nexport LBSTACK_TIME_SCALE=%s\n' "$url" "${EMU_TIME_SCALE:-0.01}" ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
