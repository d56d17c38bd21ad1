#!/usr/bin/env bash
# `make odoo`: fetch the official Odoo 18.0 source into ODOO_SRC when it is missing.
#
# Odoo is on neither PyPI nor Debian; the addon runs against a source tree kept outside this
# repository (docs/odoo-host.md). Without network access this stops with one line.
set -euo pipefail
source "$(dirname "$0")/common.sh"

ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo}

if [ -f "$ODOO_SRC/odoo/release.py" ] && [ -f "$ODOO_SRC/odoo-bin" ]; then
  require_odoo
  echo "Odoo 18.0 is already at ODOO_SRC=$ODOO_SRC"
  exit 0
fi
if [ -e "$ODOO_SRC" ] && [ -n "$(ls -A "$ODOO_SRC" 2>/dev/null)" ]; then
  die "ODOO_SRC=$ODOO_SRC exists but holds no Odoo tree: empty it or set ODOO_SRC to another folder."
fi
command -v git >/dev/null || die "git is needed to fetch Odoo 18.0 (apt-get install git)."
# A quick look first, so an offline machine gets one clear line instead of git's retries.
if ! timeout 20 git ls-remote --exit-code --heads "$ODOO_GIT_URL" 18.0 >/dev/null 2>&1; then
  die "Cannot reach $ODOO_GIT_URL (no network?): fetch Odoo 18.0 elsewhere and set ODOO_SRC to it."
fi
say "Fetching Odoo 18.0 from $ODOO_GIT_URL into $ODOO_SRC (about 1 GB)"
mkdir -p "$(dirname "$ODOO_SRC")"
git clone --depth 1 --branch 18.0 "$ODOO_GIT_URL" "$ODOO_SRC"
require_odoo
echo "Odoo 18.0 is at ODOO_SRC=$ODOO_SRC"
