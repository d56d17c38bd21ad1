"""What the browser journeys (test_tour*.py) share: a French accountant, the answers to
the tour's requests, downloads and screenshots.

A tour asks for what a browser cannot do by logging ``chorus_tour:{"ticket", "request",
"arg"}`` (static/tests/tours/chorus_tour_tools.js). The request runs in a thread of its
own (never the browser's websocket thread, which must keep reading Chrome's events) and
is answered by setting ``body[data-chorus-tour-done=<ticket>]``; a failed request is a
console error, which fails the tour at once.

Screenshots are written only when ``CHORUS_SCREENSHOTS`` names a folder (relative paths
from the repository root): ``CHORUS_SCREENSHOTS=docs/screenshots make test`` regenerates
the README's pictures, a normal run leaves the tree alone.
"""

import base64
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import odoo.http
from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)

SIGNAL = "chorus_tour:"
REPO = Path(__file__).resolve().parents[2]
DOWNLOAD_WAIT = 120  # seconds: the printed invoice is rendered on request
PAGE_LOAD = 300  # seconds


def screenshots_dir():
    folder = os.environ.get("CHORUS_SCREENSHOTS")
    return (REPO / folder) if folder else None


class ChorusTourMixin:
    """To mix before ``HttpCase`` with one of the sandbox commons (``cls.company``...).

    Subclasses answer a request ``name`` with a method ``tour_<name>(arg)``.
    """

    browser_size = "1280x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The accountant reads French, in Paris time (see tests/test_i18n.py).
        cls.env["res.lang"]._activate_lang("fr_FR")
        installed = cls.env["ir.module.module"].search([("state", "=", "installed")])
        cls.env["ir.module.module"]._load_module_terms(
            installed.mapped("name"), ["fr_FR"], overwrite=True
        )
        admin = cls.env.ref("base.user_admin")
        admin.write(
            {
                "company_ids": [(4, cls.company.id)],
                "company_id": cls.company.id,
                "lang": "fr_FR",
                "tz": "Europe/Paris",
            }
        )
        # The customers are French: their invoices are printed in French.
        (cls.town | cls.state_buyer | cls.hospital).lang = "fr_FR"
        # Send & Print asks an administrator to design the layout first, once per company.
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")
        cls.town.customer_rank = 1  # listed under Invoicing > Customers
        cls.book.name = "Roman de poche"

    def setUp(self):
        super().setUp()
        self.screenshots = {}
        self.request_errors = []
        self.downloads = Path(tempfile.mkdtemp(prefix="chorus-tour-downloads-"))
        self.addCleanup(shutil.rmtree, self.downloads, ignore_errors=True)

    # -- the browser -----------------------------------------------------------------------

    def start_chorus_tour(self, tour, timeout=600):
        # Read the addons' manifests now, in this thread: the first asset request would
        # otherwise parse them while other requests compile code, which CPython 3.11.7
        # can fail at ("AST constructor recursion depth mismatch").
        self.assertTrue(odoo.http.root.statics, "the addons' static folders are known")
        with self._chorus_browser():
            self.start_tour("/odoo", tour, login="admin", timeout=timeout)
        self.assertFalse(self.request_errors, "every request of the tour was answered")

    @contextmanager
    def _chorus_browser(self):
        test = self
        handle_console = ChromeBrowser._handle_console
        wait_ready = ChromeBrowser._wait_ready

        def _handle_console(browser, type, args=None, stackTrace=None, **kw):  # noqa: A002
            if type == "log" and args:
                message = str(browser._from_remoteobject(args[0]))
                if message.startswith(SIGNAL):
                    request = json.loads(message.removeprefix(SIGNAL))
                    threading.Thread(
                        target=test._run_request, args=(browser, request), daemon=True
                    ).start()
            return handle_console(browser, type, args, stackTrace, **kw)

        def _navigate_to(browser, url, wait_stop=False):
            # Paris time on screen (the web client shows dates in the browser's zone), and
            # downloads kept where the test reads them.
            browser._websocket_request(
                "Emulation.setTimezoneOverride", params={"timezoneId": "Europe/Paris"}
            )
            browser._websocket_request(
                "Browser.setDownloadBehavior",
                params={"behavior": "allow", "downloadPath": str(test.downloads)},
            )
            # The first page of a test builds the asset bundles (rolled back after each
            # test): on a loaded machine that takes longer than Odoo's 20 s and 60 s.
            browser._websocket_request("Page.navigate", params={"url": url}, timeout=PAGE_LOAD)

        def _wait_ready(browser, ready_code=None, timeout=60):
            return wait_ready(browser, ready_code, timeout=max(timeout, PAGE_LOAD))

        with (
            patch.object(ChromeBrowser, "_handle_console", _handle_console),
            patch.object(ChromeBrowser, "navigate_to", _navigate_to),
            patch.object(ChromeBrowser, "_wait_ready", _wait_ready),
        ):
            yield

    def _run_request(self, browser, request):
        name, arg, ticket = request["request"], request.get("arg"), request["ticket"]
        try:
            getattr(self, f"tour_{name}")(browser, arg)
        except Exception as error:
            _logger.exception("Tour request %s(%r) failed", name, arg)
            self.request_errors.append((name, arg, error))
            expression = f"console.error({json.dumps(f'{name}({arg!r}) failed: {error}')});"
        else:
            expression = f"document.body.dataset.chorusTourDone = {json.dumps(ticket)};"
        browser._websocket_send("Runtime.evaluate", params={"expression": expression})

    # -- requests every tour may make ------------------------------------------------------

    def tour_screenshot(self, browser, name):
        folder = screenshots_dir()
        if not folder:
            return
        answer = browser._websocket_request(
            "Page.captureScreenshot", params={"format": "png"}, timeout=60
        )
        data = base64.b64decode(answer["data"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.png").write_bytes(data)
        self.screenshots[name] = len(data)

    def wait_for_download(self, suffix):
        """The file the browser just downloaded (Chrome writes *.crdownload until done)."""
        deadline = time.monotonic() + DOWNLOAD_WAIT
        while time.monotonic() < deadline:
            done = [p for p in self.downloads.iterdir() if p.name.endswith(suffix)]
            if done:
                return done[0]
            time.sleep(0.2)
        raise AssertionError(f"no *{suffix} downloaded in {DOWNLOAD_WAIT} s")

    def assertScreenshots(self, *names):
        """With CHORUS_SCREENSHOTS set, each screen was saved (and is not blank)."""
        if screenshots_dir():
            for name in names:
                self.assertGreater(self.screenshots.get(name, 0), 10_000, f"screenshot {name}")
