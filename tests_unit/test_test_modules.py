"""Odoo's own runner finds a test module only through ``tests/__init__.py``."""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "chorus_pro_dilifac" / "tests"


def test_every_odoo_test_module_is_imported_by_the_package():
    on_disk = {path.stem for path in TESTS.glob("test_*.py")}
    package = (TESTS / "__init__.py").read_text()
    imported = set(re.findall(r"^from \. import (test_\w+)$", package, re.M))
    assert on_disk - imported == set(), "add them to chorus_pro_dilifac/tests/__init__.py"
    assert imported - on_disk == set()
