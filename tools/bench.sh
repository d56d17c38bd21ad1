#!/usr/bin/env bash
# `make bench`: Odoo's own path and ours side by side on the same BENCH_INVOICES invoices
# (default 100), then a whole Send & Print "by Chorus Pro" of 100 and of BENCH_INVOICES
# invoices through the local Chorus Pro sandbox. Writes bench/out/results.json and prints
# the ratios. Not a test: it measures and never fails on a number.
#
# As on a server: an Odoo HTTP server serves the report's assets to wkhtmltopdf (report.url),
# the patched-Qt wkhtmltopdf comes first on PATH (common.sh), the sandbox is a process of its
# own. Each phase of bench/bench_send.py is a fresh `odoo-bin shell`, so its peak memory is
# its own. BENCH_BASELINE_PDF caps the invoices rendered one by one (default 100).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

prepare_host

count=${BENCH_INVOICES:-100}
out=$REPO/bench/out
db=${BENCH_DB:-cpd_bench}
mkdir -p "$out"
rm -f "$out"/*.json

stop_on_exit

wait_for() {
  # $1: description, $2: pid, then the command that succeeds once it is ready
  local what=$1 pid=$2 i
  shift 2
  for i in $(seq 1 240); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || die "$what stopped while starting"
    sleep 0.5
  done
  die "$what did not start within 2 minutes"
}

pg_start

http_port=$(free_port)
conf=$RUN_DIR/bench-$db.conf
write_odoo_conf "$conf" "$http_port"
cat >>"$conf" <<EOF
dbfilter = ^$db\$
gevent_port = $(free_port)
EOF
say "Installing chorus_pro_dilifac into a fresh database $db"
fresh_db "$conf" "$db" nodemo
log=$out/odoo.log
odoo_bin -c "$conf" -d "$db" -i chorus_pro_dilifac --without-demo=all --stop-after-init \
  --log-level=warn >"$log" 2>&1 || { tail -n 40 "$log"; die "Installing chorus_pro_dilifac failed: see $log"; }

chorus_port=$(free_port)
setsid "$VENV/bin/python" -m sandboxes.chorus_pro --port "$chorus_port" >"$out/chorus-sandbox.log" 2>&1 &
pids+=($!)
wait_for "The Chorus Pro sandbox" "${pids[-1]}" grep -q "listening on" "$out/chorus-sandbox.log"
# Two HTTP workers with Odoo's default limits serve the report's assets to wkhtmltopdf;
# no cron runs during the bench.
setsid "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$conf" -d "$db" --workers=2 \
  --max-cron-threads=0 --limit-time-real=120 --limit-time-cpu=60 \
  --limit-memory-soft=2147483648 --limit-memory-hard=2684354560 --log-level=warn >>"$log" 2>&1 &
pids+=($!)
wait_for "The Odoo server" "${pids[-1]}" curl -sf --max-time 10 "http://127.0.0.1:$http_port/web/login"
say "Odoo on http://127.0.0.1:$http_port, Chorus Pro sandbox on http://127.0.0.1:$chorus_port"

phase() {
  # $1: phase, $2: Send & Print size (send phase)
  BENCH_PHASE=$1 BENCH_SEND_SIZE=${2:-} BENCH_INVOICES=$count BENCH_OUT=$out \
    BENCH_REPORT_URL=http://127.0.0.1:$http_port BENCH_CHORUS_URL=http://127.0.0.1:$chorus_port \
    odoo_bin shell -c "$conf" -d "$db" --no-http --log-level=warn <bench/bench_send.py \
    2>>"$log" || die "bench phase $1 $2 failed: see $log"
}

say "Creating $count + 100 posted invoices"
phase setup
say "Odoo's path and ours on the same $count invoices (XML, then PDF)"
phase compare
say "Send & Print by Chorus Pro of 100 invoices (PDF, document, validation, deposit, commit)"
phase send 100
if [ "$count" != 100 ]; then
  say "Send & Print by Chorus Pro of $count invoices"
  phase send "$count"
fi

BENCH_INVOICES=$count "$VENV/bin/python" bench/report.py "$out"
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  say "cProfile of the UBL build + validation: $out/profile.txt"
  phase profile
fi
if [ "${BENCH_EXTRAS:-0}" = 1 ]; then
  say "Validation alone, in-process and through the worker (bench/bench_validation.py)"
  "$VENV/bin/python" bench/bench_validation.py -n "$count"
  say "Chorus Pro deposit: one flow per invoice or one zip flow (bench/bench_deposit.py)"
  "$VENV/bin/python" bench/bench_deposit.py -n "$count"
fi
