#!/usr/bin/env bash
# The project's test command (README "Run the tests"; .ci/run calls it).
#
# 1. checks the Odoo 18 tree (ODOO_SRC), 2. prepares .venv and runs the linters
# (tools/lint.sh), 3. starts a private PostgreSQL, installs the addon into a fresh database
# (log checked for warnings), 4. runs the DB-free pytest suite (tests_unit/) and the Odoo
# suite (pytest-odoo, chorus_pro_dilifac/tests/), 5. stops PostgreSQL, even on failure.
# Extra arguments go to both pytest runs (e.g. -k name).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

prepare_host 1

# Linters first (make lint: ruff, pylint-odoo, OCA's checks): seconds once installed; a
# finding fails the run like a failed test, after the tests have run.
say "Linters (tools/lint.sh)"
lint_status=0
./tools/lint.sh || lint_status=1

pg_start
trap pg_stop EXIT

# TEST_DB lets several runs share the cluster side by side.
db=${TEST_DB:-cpd_test}
conf=$RUN_DIR/test-$db.conf
write_odoo_conf "$conf"
say "Installing chorus_pro_dilifac into a fresh database $db"
fresh_db "$conf" "$db" nodemo
install_log=$RUN_DIR/install-$db.log
odoo_bin -c "$conf" -d "$db" -i chorus_pro_dilifac --without-demo=all --stop-after-init \
  --log-level=info >"$install_log" 2>&1 || { tail -n 40 "$install_log"; die "Installing chorus_pro_dilifac failed: see $install_log"; }
# A view or field problem of ours is only a WARNING in Odoo's log: make it fail the run.
if grep -E " (WARNING|ERROR|CRITICAL) " "$install_log" | grep -i "chorus" ; then
  die "Installing chorus_pro_dilifac logged the warnings above (full log: $install_log)"
fi
# A database copied from a template starts without planner statistics: without them the
# chart-of-accounts queries of each test class's set-up can take minutes, not milliseconds.
psql_admin -d "$db" -qc "ANALYZE" >/dev/null

status=0
# The addon must leave a database as it found it, with and without demo data.
if [ "${SKIP_INSTALL_CHECKS:-0}" != 1 ]; then
  say "Install checks: with demo data, then uninstall (with and without demo data)"
  demo_db=${db}_demo
  fresh_db "$conf" "$demo_db" demo
  odoo_bin -c "$conf" -d "$demo_db" -i chorus_pro_dilifac --stop-after-init \
    >"$RUN_DIR/install-$demo_db.log" 2>&1 || { tail -n 30 "$RUN_DIR/install-$demo_db.log"; echo "Installing with demo data failed"; status=1; }
  clone_db "$db" "${db}_bare"
  for target in "${db}_bare" "$demo_db"; do
    echo "env['ir.module.module'].search([('name', '=', 'chorus_pro_dilifac')]).button_immediate_uninstall(); env.cr.commit()" \
      | odoo_bin shell -c "$conf" -d "$target" --no-http >"$RUN_DIR/uninstall-$target.log" 2>&1
    state=$(psql_admin -d "$target" -tAc "SELECT state FROM ir_module_module WHERE name='chorus_pro_dilifac'")
    if [ "$state" = uninstalled ]; then
      echo "install-check: chorus_pro_dilifac uninstalled cleanly from $target"
    else
      tail -n 30 "$RUN_DIR/uninstall-$target.log"; echo "install-check: uninstall from $target failed ($state)"; status=1
    fi
  done
fi

say "DB-free suite (tests_unit/)"
"$VENV/bin/python" -m pytest tests_unit -p no:cacheprovider -p no:odoo "$@" || { rc=$?; [ $rc -eq 5 ] || status=1; }

say "Odoo suite (chorus_pro_dilifac/tests, pytest-odoo on $db)"
(cd "$REPO" && "$VENV/bin/python" -m pytest chorus_pro_dilifac/tests -p no:cacheprovider \
  --odoo-config="$conf" --odoo-database="$db" --odoo-log-level=warn --odoo-http "$@") \
  || { rc=$?; [ $rc -eq 5 ] || status=1; }

# The fault matrix (faults/, `make faults`): real processes and commits. Skipped with
# SKIP_FAULTS=1, and by a targeted run (extra arguments such as -k name).
[ "${SKIP_FAULTS:-0}" = 1 ] || [ $# -gt 0 ] || { say "Fault matrix (tools/faults.sh)"; "$REPO/tools/faults.sh" || status=1; }


[ $lint_status = 0 ] || { echo "The linters reported findings (see the top of this run)."; status=1; }
exit $status
