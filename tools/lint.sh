#!/usr/bin/env bash
# `make lint`, and the first step of `make test`: ruff, pylint-odoo (OCA's mandatory checks
# block, the optional ones inform), OCA's XML/PO checks. The same tools and settings as
# .pre-commit-config.yaml, run from their own virtualenv (LINT_VENV, default .venv-lint) so
# that pre-commit's download of its hooks is not needed. A few seconds once installed.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LINT_VENV=${LINT_VENV:-$REPO/.venv-lint}
cd "$REPO"

stamp=$LINT_VENV/.requirements.sha
want=$(sha1sum requirements-lint.txt | cut -d' ' -f1)
if [ ! -x "$LINT_VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> Installing the linters into $LINT_VENV"
  python3 -m venv "$LINT_VENV"
  "$LINT_VENV/bin/pip" install -q -r requirements-lint.txt >"$LINT_VENV.log" 2>&1 \
    || { tail -n 20 "$LINT_VENV.log"; echo "Installing the linters failed: see $LINT_VENV.log" >&2; exit 2; }
  echo "$want" >"$stamp"
fi

status=0
PY_DIRS=(chorus_pro_dilifac sandboxes tests_unit bench faults tools conftest.py)
echo "==> ruff"
"$LINT_VENV/bin/ruff" check --no-cache "${PY_DIRS[@]}" || status=1
echo "==> pylint-odoo (OCA mandatory checks)"
"$LINT_VENV/bin/pylint" --rcfile=.pylintrc-mandatory --output-format=text chorus_pro_dilifac || status=1
echo "==> pylint-odoo (OCA optional checks, not blocking)"
"$LINT_VENV/bin/pylint" --rcfile=.pylintrc --exit-zero --output-format=text chorus_pro_dilifac
echo "==> OCA module and PO checks"
"$LINT_VENV/bin/oca-checks-odoo-module" chorus_pro_dilifac/__manifest__.py || status=1
"$LINT_VENV/bin/oca-checks-po" --disable=po-pretty-format chorus_pro_dilifac/i18n/*.po* || status=1
echo "==> The addon's README.rst, written from readme/ (tools/gen_addon_readme.py)"
"$LINT_VENV/bin/python" tools/gen_addon_readme.py --check || status=1
echo "==> reStructuredText of the READMEs"
for doc in README.rst faults/README.rst chorus_pro_dilifac/README.rst; do
  [ -e "$doc" ] || continue
  # A warning (a heading without its underline, a malformed table) fails like an error.
  "$LINT_VENV/bin/python" -c 'import sys, docutils.core, docutils.utils
try:
    docutils.core.publish_doctree(
        open(sys.argv[1], encoding="utf-8").read(), source_path=sys.argv[1],
        settings_overrides={"report_level": 5, "halt_level": 2})
except docutils.utils.SystemMessage as error:
    sys.exit(str(error))' "$doc" || status=1
done
[ $status = 0 ] && echo "lint: no finding"
exit $status
