#!/usr/bin/env bash
# The fault suite (`make faults`; also run at the end of tools/test.sh unless SKIP_FAULTS=1).
#
# Real processes and real commits, outside any test transaction: the private PostgreSQL,
# a fresh database with the addon, an Odoo server (workers + cron worker, serving the
# report styles wkhtmltopdf needs), then faults/ (python -m faults) starts the Chorus Pro
# sandbox (HTTP) and the Dilifac sandbox (a real sshd), drives Odoo processes
# (odoo-bin shell) through every fault of its matrix and prints it. Exits non-zero when
# an invoice was deposited twice, a notification was lost or an invoice was stranded.
# Extra arguments go to `python -m faults` (e.g. -k kill to run the cases matching "kill").
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

prepare_host 0

pg_start
server_pid=
harness_pid=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$harness_pid" ]; then  # it stops sshd and its Odoo processes itself
    kill -TERM "$harness_pid" 2>/dev/null || true
    wait "$harness_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  pg_stop
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db=${FAULTS_DB:-${TEST_DB:-cpd}_faults}
work=$RUN_DIR/faults-$db
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"
http_port=$(free_port)
conf=$work/odoo.conf
write_odoo_conf "$conf" "$http_port"

say "Installing chorus_pro_dilifac into a fresh database $db"
fresh_db "$conf" "$db" nodemo
odoo_bin -c "$conf" -d "$db" -i chorus_pro_dilifac --without-demo=all --stop-after-init \
  --log-level=warn >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log"; die "Installing chorus_pro_dilifac failed: see $work/install.log"; }

# Production conditions: several workers and a cron worker, with Odoo's default time and
# memory limits (the time limits restated here so that a reader sees them).
# The server also serves the report styles wkhtmltopdf fetches for the invoices' PDFs.
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$conf" -d "$db" --db-filter="^$db\$" \
  --workers=2 --max-cron-threads=1 --limit-time-cpu=60 --limit-time-real=120 \
  --logfile="$work/server.log" >/dev/null 2>&1 &
server_pid=$!

say "Fault matrix on $db (logs in $work)"
"$VENV/bin/python" -m faults --conf "$conf" --db "$db" --work "$work" \
  --http-port "$http_port" --odoo-bin "$ODOO_SRC/odoo-bin" "$@" &
harness_pid=$!
rc=0
wait "$harness_pid" || rc=$?
harness_pid=
exit "$rc"
