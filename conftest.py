"""pytest-odoo glue for Odoo 18 (Odoo's own runner does this itself).

Odoo's test loader flags ``odoo.modules.module.current_test`` while tests run, and code
that commits (``account.move.send._can_commit()``) checks that flag; pytest-odoo 2.3
only sets it from Odoo 19 on, so the tests would commit inside their transaction.

Class set-ups run before this fixture; they do not commit in this suite.

It lives at the repository root because pytest would import a conftest inside the addon
as ``chorus_pro_dilifac.tests.conftest``, outside the ``odoo.addons`` namespace.
"""

import pytest


@pytest.fixture(autouse=True)
def odoo_current_test(request):
    """Flag the running Odoo test the way Odoo's loader does: the test itself (HttpCase
    cursors call ``current_test.check_test_cursor()``), for the whole test's duration."""
    if not request.config.pluginmanager.hasplugin("odoo") or not request.config.getoption(
        "--odoo-database", default=None
    ):
        yield  # the DB-free suite
        return
    from odoo import modules

    modules.module.current_test = request.instance or True
    yield
    modules.module.current_test = False
