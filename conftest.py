"""pytest-odoo glue for Odoo 18 (Odoo's own runner does this itself).

Odoo's test loader flags ``odoo.modules.module.current_test`` while tests run, and code
that commits (``account.move.send._can_commit()``) checks that flag; pytest-odoo 2.3
only sets it from Odoo 19 on, so the tests would commit inside their transaction.

It lives at the repository root because pytest would import a conftest inside the addon
as ``chorus_pro_dilifac.tests.conftest``, outside the ``odoo.addons`` namespace.
"""

import pytest


@pytest.fixture(scope="session", autouse=True)
def odoo_test_mode(request):
    if not request.config.pluginmanager.hasplugin("odoo") or not request.config.getoption(
        "--odoo-database", default=None
    ):
        yield  # the DB-free suite
        return
    from odoo import modules

    modules.module.current_test = True
    yield
    modules.module.current_test = False
