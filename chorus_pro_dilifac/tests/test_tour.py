"""The whole flow clicked through in headless Chromium (static/tests/tours/chorus_pro_tour.js).

The company talks to a local Chorus Pro sandbox over real HTTP. The tour asks this test
for what a browser cannot do by logging ``chorus_tour:<request>``:

* ``process_all``: Chorus Pro processes the deposited flows now;
* ``screenshot:<name>``: the page is saved to ``docs/screenshots/<name>.png`` (linked
  from the README).

The test answers by setting ``body[data-chorus-tour="<request>"]``, which the tour waits
for before going on.
"""
import base64
import json
import logging
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from .common import ChorusApiSandboxCommon

_logger = logging.getLogger(__name__)

SIGNAL = "chorus_tour:"
SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@tagged("post_install", "-at_install")
class TestChorusProTour(ChorusApiSandboxCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.env.ref("base.user_admin")
        admin.write({"company_ids": [(4, cls.company.id)], "company_id": cls.company.id})
        cls.town.with_company(cls.company).invoice_sending_method = "chorus_pro"
        cls.town.customer_rank = 1  # listed under Invoicing > Customers
        cls.book.name = "Roman de poche"
        cls.screenshots = {}

    def _answer(self, browser, request):
        browser._websocket_send(
            "Runtime.evaluate",
            params={"expression": f"document.body.dataset.chorusTour = {json.dumps(request)};"},
        )

    def _on_request(self, browser, request):
        """Called from the browser's websocket thread: never block it."""
        if request == "process_all":
            self.sandbox.process_all()
            self._answer(browser, request)
        elif request.startswith("screenshot:"):
            name = request.split(":", 1)[1]

            def save(future):
                try:
                    data = base64.b64decode(future.result()["data"])
                    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
                    (SCREENSHOTS_DIR / f"{name}.png").write_bytes(data)
                    self.screenshots[name] = len(data)
                except Exception:  # a missing screenshot must not hide the tour result
                    _logger.exception("Screenshot %s could not be saved", name)
                self._answer(browser, request)

            browser._websocket_send(
                "Page.captureScreenshot", params={"format": "png"}, with_future=True
            ).add_done_callback(save)

    def test_send_an_invoice_from_the_browser(self):
        test = self
        handle_console = ChromeBrowser._handle_console

        def _handle_console(browser, type, args=None, stackTrace=None, **kw):  # noqa: A002
            if type == "log" and args:
                message = str(browser._from_remoteobject(args[0]))
                if message.startswith(SIGNAL):
                    test._on_request(browser, message[len(SIGNAL):])
            return handle_console(browser, type, args, stackTrace, **kw)

        with patch.object(ChromeBrowser, "_handle_console", _handle_console):
            self.start_tour("/odoo", "chorus_pro_dilifac_tour", login="admin", timeout=240)

        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.town.id), ("move_type", "=", "out_invoice")],
            order="id desc",
            limit=1,
        )
        self.assertEqual(invoice.chorus_state, "made_available")
        self.assertTrue(self.town.chorus_directory_checked_on, "the directory was read")
        self.assertEqual(len(self.sandbox.flows()), 1, "one deposit")
        for name in ("partner_chorus_tab", "invoice_chorus_tab"):
            self.assertGreater(self.screenshots.get(name, 0), 10_000, f"screenshot {name}")
