#!/usr/bin/env bash
# `make test-odoo-runner`: the Odoo suite under Odoo's own runner, as an integrator or the
# OCA CI runs an addon (README "Run the tests"): a fresh database, the addon installed with
# --test-enable --test-tags /chorus_pro_dilifac, every at_install and post_install test of
# the addon. About half an hour; `make test` (pytest-odoo) runs the same tests.
# Ends with Odoo's own summary line ("N failed, M error(s) of K tests when loading
# database ..."); fails when a test failed or none ran.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

prepare_host 1
pg_start
trap pg_stop EXIT

db=${TEST_DB:-cpd_test}_runner
conf=$RUN_DIR/test-$db.conf
write_odoo_conf "$conf"
say "Installing chorus_pro_dilifac with its tests into a fresh database $db"
fresh_db "$conf" "$db" nodemo
log=$RUN_DIR/test-$db.log
status=0
odoo_bin -c "$conf" -d "$db" -i chorus_pro_dilifac --without-demo=all --test-enable \
  --test-tags /chorus_pro_dilifac --stop-after-init --log-level=info >"$log" 2>&1 || status=1
# Each failed test with its traceback (the tests of failure handling log expected errors
# too: those are not shown), then Odoo's summary line.
awk '/ (ERROR|CRITICAL) .*: (FAIL|ERROR): / { show = 1 } / (INFO|WARNING|ERROR|CRITICAL) / && !/: (FAIL|ERROR): / { show = 0 } show' "$log"
grep -E " CRITICAL " "$log" || true
summary=$(grep -E "error\(s\) of [0-9]+ tests when loading database" "$log" | tail -n 1 || true)
echo "${summary:-No test summary in $log}"
case "$summary" in
  *" 0 failed, 0 error(s) of 0 tests"*|"") status=1 ;;
  *" 0 failed, 0 error(s) of "*) ;;
  *) status=1 ;;
esac
echo "Full log: $log"
exit $status
