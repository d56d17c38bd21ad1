"""pytest-odoo glue for Odoo 18 (Odoo's own runner does this itself).

Odoo's test loader flags ``odoo.modules.module.current_test`` while tests run, and code
that commits (``account.move.send._can_commit()``) checks that flag; pytest-odoo 2.3
only sets it from Odoo 19 on, so the tests would commit inside their transaction.

Class set-ups run before this fixture; they do not commit in this suite.

It lives at the repository root because pytest would import a conftest inside the addon
as ``chorus_pro_dilifac.tests.conftest``, outside the ``odoo.addons`` namespace.
"""

import pytest


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_cmdline_main(config):
    """Start Odoo in test mode, as ``odoo-bin --test-enable`` does.

    Outside test mode, importing ``odoo.tests`` (pytest-odoo does it right after parsing
    Odoo's options) logs an ERROR with a stack trace, "Importing test framework". Odoo turns
    test mode on when test tags are given: ``-at_install`` also keeps Odoo from running the
    installed modules' at_install tests itself when pytest-odoo loads the registry, since
    pytest picks the tests. Runs before pytest-odoo's own hook, which parses the options.
    """
    extra = getattr(config.option, "odoo_extra", None)
    if (
        config.pluginmanager.hasplugin("odoo")
        and config.getoption("--odoo-database", default=None)
        and extra is not None
        and not any(option.startswith(("test-tags", "test-enable")) for option in extra)
    ):
        config.option.odoo_extra = [*extra, "test-tags=-at_install"]
    yield


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
