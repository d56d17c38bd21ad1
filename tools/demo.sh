#!/usr/bin/env bash
# The project's demo command (README "Start the demo", `make demo`).
#
# 1. checks the Odoo 18 tree (ODOO_SRC), 2. prepares .venv, 3. starts the private
# PostgreSQL cluster, the Chorus Pro sandbox (HTTP) and the Dilifac sandbox (a real sshd),
# 4. creates the database cpd_demo afresh with the addon, its demo data and French, then
# tools/demo_setup.py configures two companies against the sandboxes and sends invoices
# through them so that every Chorus Pro state is real, 5. serves Odoo on
# http://localhost:8069 until Ctrl-C, which stops everything this script started.
#
# Odoo runs as in production: its default memory and time limits, two HTTP worker
# processes and a cron worker (--workers=2 --max-cron-threads=1), and the venv's python
# first on PATH (common.sh) so that a reload re-executes it with the same interpreter.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

started_at=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started_at ))s"; }

DEMO_DB=${DEMO_DB:-cpd_demo}
# The browser's port is a front (tools/demo_proxy.py, what nginx is in production) that
# sends /websocket to Odoo's gevent port and the rest to its HTTP workers' port.
PUBLIC_PORT=${DEMO_PORT:-8069}
DEMO_DIR=$RUN_DIR/demo
CHORUS_LOG=$DEMO_DIR/chorus-sandbox.log
DILIFAC_ROOT=$DEMO_DIR/dilifac
DILIFAC_OUT=$DEMO_DIR/dilifac-sandbox.log
ODOO_LOG=$DEMO_DIR/odoo.log

require_odoo
port_busy() { python3 -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"; }
if port_busy "$PUBLIC_PORT"; then
  die "Port $PUBLIC_PORT is already in use (another Odoo or demo?): stop it, or run DEMO_PORT=8070 make demo."
fi
# The demo needs sshd and wkhtmltopdf, not the browser of the tests.
prepare_host 0

# Everything started below is stopped by PID on exit (Ctrl-C included), PostgreSQL last.
# The sandboxes run in sessions of their own (setsid, same PID) so that Ctrl-C reaches
# only this script, which then stops them in order.
stop_on_exit "Stopping the demo"

mkdir -p "$DEMO_DIR"
pg_start
say "PostgreSQL is up ($(elapsed))"

# -- sandboxes --------------------------------------------------------------------------
wait_for_line() {
  # $1: file, $2: pattern, $3: pid, $4: what
  local tries=0
  until grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { cat "$1" >&2; die "$4 stopped at start: see $1"; }
    tries=$((tries + 1))
    [ $tries -lt 300 ] || { cat "$1" >&2; die "$4 did not start within 30 s: see $1"; }
    sleep 0.1
  done
}

# The front the browser talks to, before Odoo (it outlives Odoo's restart below).
HTTP_PORT=$(free_port)
GEVENT_PORT=$(free_port)
: >"$DEMO_DIR/proxy.log"
setsid "$VENV/bin/python" "$REPO/tools/demo_proxy.py" --listen "$PUBLIC_PORT" --http "$HTTP_PORT" \
  --websocket "$GEVENT_PORT" >"$DEMO_DIR/proxy.log" 2>&1 &
pids+=($!)
wait_for_line "$DEMO_DIR/proxy.log" "listening" "${pids[-1]}" "The demo's front (tools/demo_proxy.py)"

chorus_port=$(free_port)
: >"$CHORUS_LOG"
: >"$DEMO_DIR/chorus-sandbox.out"  # before the start: the wait below must not read an old run
setsid "$VENV/bin/python" -m sandboxes.chorus_pro --port "$chorus_port" --log "$CHORUS_LOG" \
  >"$DEMO_DIR/chorus-sandbox.out" 2>&1 &
pids+=($!)
wait_for_line "$DEMO_DIR/chorus-sandbox.out" "listening on" "${pids[-1]}" "The Chorus Pro sandbox"
say "Chorus Pro sandbox on http://127.0.0.1:$chorus_port (requests logged to $CHORUS_LOG)"

# A new database needs a new Dilifac account: the sandbox's folders and state start empty.
rm -rf "$DILIFAC_ROOT"
mkdir -p "$DILIFAC_ROOT"
: >"$DILIFAC_OUT"
setsid "$VENV/bin/python" -m sandboxes.dilifac --root "$DILIFAC_ROOT" --immediate --interval 2 \
  >"$DILIFAC_OUT" 2>&1 &
pids+=($!)
wait_for_line "$DILIFAC_OUT" "^Notifications" "${pids[-1]}" "The Dilifac sandbox"
dilifac_field() { sed -n "s/^  $1 *//p" "$DILIFAC_OUT" | head -n1; }
dilifac_url=$(sed -n 's/^Dilifac sandbox on sftp:\/\/\([^ ]*\).*/\1/p' "$DILIFAC_OUT" | head -n1)
export DEMO_SFTP_USER=${dilifac_url%@*}
dilifac_hostport=${dilifac_url#*@}
export DEMO_SFTP_HOST=${dilifac_hostport%:*}
export DEMO_SFTP_PORT=${dilifac_hostport##*:}
export DEMO_SFTP_PASSWORD=$(dilifac_field password)
export DEMO_SFTP_FINGERPRINT=$(dilifac_field "host key")
export DEMO_DILIFAC_ROOT=$DILIFAC_ROOT
export DEMO_CHORUS_URL=http://127.0.0.1:$chorus_port
say "Dilifac sandbox on sftp://$dilifac_url (sshd and processor logs: $DILIFAC_OUT, $(dilifac_field "sshd log"))"

# -- database -------------------------------------------------------------------------
conf=$DEMO_DIR/odoo.conf
write_odoo_conf "$conf" "$HTTP_PORT"
say "Creating the database $DEMO_DB ($(elapsed))"
fresh_db "$conf" "$DEMO_DB" demo

say "Installing chorus_pro_dilifac with its demo data ($(elapsed))"
odoo_bin -c "$conf" -d "$DEMO_DB" -i chorus_pro_dilifac --load-language=fr_FR --stop-after-init --log-level=warn \
  >"$DEMO_DIR/install.log" 2>&1 || { tail -n 40 "$DEMO_DIR/install.log"; die "Installing chorus_pro_dilifac failed: see $DEMO_DIR/install.log"; }

# wkhtmltopdf renders the invoice PDFs sent below with the styles the server serves, so a
# first server runs (without scheduled actions) while tools/demo_setup.py works.
start_odoo() {
  : >"$ODOO_LOG"
  # Not through the odoo_bin function: a function in the background is a subshell, and
  # its PID is not Odoo's.
  # Several worker processes, as in production: the websocket (gevent) process has a
  # port of its own, behind the front (demo_proxy.py).
  "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$conf" -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" \
    --http-port="$HTTP_PORT" --gevent-port="$GEVENT_PORT" --workers="${DEMO_WORKERS:-2}" \
    --logfile="$ODOO_LOG" "$@" >>"$ODOO_LOG" 2>&1 &
  odoo_pid=$!
  pids+=($odoo_pid)
  local tries=0
  until port_busy "$HTTP_PORT"; do
    kill -0 "$odoo_pid" 2>/dev/null || { tail -n 40 "$ODOO_LOG"; die "Odoo stopped at start: see $ODOO_LOG"; }
    tries=$((tries + 1))
    [ $tries -lt 600 ] || die "Odoo did not listen on port $HTTP_PORT within a minute: see $ODOO_LOG"
    sleep 0.1
  done
}
stop_odoo() {
  kill -TERM "$odoo_pid" 2>/dev/null || true
  wait "$odoo_pid" 2>/dev/null || true
  pids=("${pids[@]:0:${#pids[@]}-1}")  # not unset: a sparse array would hide the next Odoo from cleanup
}
start_odoo --max-cron-threads=0

say "Configuring the companies and sending invoices through the sandboxes ($(elapsed))"
export DEMO_HTTP_PORT=$HTTP_PORT
odoo_bin shell -c "$conf" -d "$DEMO_DB" --no-http --log-level=warn <"$REPO/tools/demo_setup.py" \
  2>"$DEMO_DIR/setup.log" || { tail -n 40 "$DEMO_DIR/setup.log"; die "The demo set-up failed: see $DEMO_DIR/setup.log"; }

# -- Odoo ---------------------------------------------------------------------------------
say "Restarting Odoo with its scheduled actions ($(elapsed))"
stop_odoo
start_odoo --max-cron-threads=1

cat <<EOF

  Odoo is ready after $(elapsed): http://localhost:$PUBLIC_PORT   login: admin   password: admin
  (in French; Odoo server PID $odoo_pid, ${DEMO_WORKERS:-2} HTTP workers and a cron worker)

  Companies (switch in the top-right company menu):
    Librairie du Marché  sends through Dilifac (the local SFTP sandbox)
    Éditions du Port     sends through the Chorus Pro API (the local Chorus Pro sandbox)
  Invoicing > Customers > Invoices, filter "Chorus: ..." or group by "Chorus Pro state".

  Logs:
    Odoo                  $ODOO_LOG
    Chorus Pro sandbox    $CHORUS_LOG   (admin: curl -X POST $DEMO_CHORUS_URL/_sandbox/process_all)
    Dilifac sandbox       $DILIFAC_OUT   (buyer: PYTHONPATH=. .venv/bin/python -m sandboxes.dilifac --root $DILIFAC_ROOT --immediate set-status <invoice> SERVICE_FAIT)
    Demo set-up           $DEMO_DIR/setup.log

  Ctrl-C stops Odoo, both sandboxes and PostgreSQL.

EOF
wait "$odoo_pid"
