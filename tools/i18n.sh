#!/usr/bin/env bash
# Refresh the translation template and merge it into the French catalogue:
#   ./tools/i18n.sh
# installs chorus_pro_dilifac (with demo data) into a scratch database, exports
# chorus_pro_dilifac/i18n/chorus_pro_dilifac.pot with Odoo's exporter, and merges it into
# i18n/fr.po (new messages come in untranslated: tests/test_i18n.py then fails until
# they are translated; messages gone from the code are dropped).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

prepare_host
pg_start
trap pg_stop EXIT

db=cpd_i18n
conf=$RUN_DIR/i18n.conf
write_odoo_conf "$conf"
fresh_db "$conf" "$db" demo
say "Installing chorus_pro_dilifac into $db"
odoo_bin -c "$conf" -d "$db" -i chorus_pro_dilifac --stop-after-init --log-level=warn \
  >"$RUN_DIR/i18n-install.log" 2>&1 || die "Install failed: see $RUN_DIR/i18n-install.log"
pot=chorus_pro_dilifac/i18n/chorus_pro_dilifac.pot
say "Exporting $pot"
odoo_bin -c "$conf" -d "$db" --i18n-export="$pot" --modules=chorus_pro_dilifac \
  --stop-after-init --log-level=warn >"$RUN_DIR/i18n-export.log" 2>&1 \
  || die "Export failed: see $RUN_DIR/i18n-export.log"
"$VENV/bin/python" - "$pot" chorus_pro_dilifac/i18n/fr.po <<'PY'
import ast
import sys

import polib

pot, path = polib.pofile(sys.argv[1]), sys.argv[2]
# The module's name and summary on the Apps page belong to base's records
# (base.module_chorus_pro_dilifac): Odoo's exporter leaves them out, its loader takes them.
manifest = ast.literal_eval(open("chorus_pro_dilifac/__manifest__.py").read())
for field in ("shortdesc", "summary"):
    pot.append(polib.POEntry(
        msgid=manifest["name" if field == "shortdesc" else "summary"],
        msgstr="",
        comment="module: chorus_pro_dilifac",
        occurrences=[(f"model:ir.module.module,{field}:base.module_chorus_pro_dilifac", "")],
    ))
pot.save(sys.argv[1])
po = polib.pofile(path)
po.merge(pot)
for entry in [e for e in po if e.obsolete]:
    po.remove(entry)
po.save(path)
empty = [e.msgid for e in po if not e.msgstr]
print(f"{path}: {len(po)} messages, {len(empty)} to translate")
for msgid in empty:
    print("  ", repr(msgid))
PY
psql_admin -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
