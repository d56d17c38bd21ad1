#!/usr/bin/env bash
# `make bench`: times building and validating the Chorus Pro documents of 200 invoices,
# PDF excluded and included (bench/bench_documents.py), in a fresh database cpd_bench made
# from the same template as the tests. Not a test: it prints numbers and never fails on them.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

prepare_host

pg_start
trap pg_stop EXIT

db=${BENCH_DB:-cpd_bench}
conf=$RUN_DIR/bench-$db.conf
write_odoo_conf "$conf"
say "Installing chorus_pro_dilifac into a fresh database $db"
fresh_db "$conf" "$db" nodemo
log=$RUN_DIR/bench-$db.log
odoo_bin -c "$conf" -d "$db" -i chorus_pro_dilifac --without-demo=all --stop-after-init \
  --log-level=warn >"$log" 2>&1 || { tail -n 40 "$log"; die "Installing chorus_pro_dilifac failed: see $log"; }

say "Building and validating ${BENCH_INVOICES:-200} invoices (bench/bench_documents.py)"
odoo_bin shell -c "$conf" -d "$db" --no-http --log-level=warn <bench/bench_documents.py

say "Validation alone, in-process and through the worker (bench/bench_validation.py)"
"$VENV/bin/python" bench/bench_validation.py -n "${BENCH_INVOICES:-200}"

say "Chorus Pro deposit: one flow per invoice or one zip flow (bench/bench_deposit.py)"
"$VENV/bin/python" bench/bench_deposit.py -n "${BENCH_INVOICES:-200}"
