"""The bookseller's journey through Dilifac, clicked in headless Chromium by a French
accountant (static/tests/tours/chorus_pro_dilifac_tour.js).

The company uploads to the local Dilifac (a real sshd); between steps the test runs
Dilifac's processor, as Dilifac and the buyer would: the upload is passed to Chorus Pro
and made available, then the buyer pays. The invoice printed at the end is read back from
the browser's download.
"""

import io
import re

from odoo.tests import HttpCase, tagged
from PyPDF2 import PdfReader

from .common import ChorusDilifacSandboxCommon
from .tour_common import ChorusTourMixin

MENTION = "Duplicata – document dématérialisé le"


def printed_text(content):
    """The text of the printed invoice: a PDF, or its HTML twin in test mode (Odoo renders
    reports as HTML while tests run, unless forced)."""
    if content.startswith(b"%PDF"):
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    else:
        text = re.sub(r"<[^>]+>", " ", content.decode())
    return re.sub(r"\s+", " ", text)


@tagged("post_install", "-at_install")
class TestChorusDilifacTour(ChorusTourMixin, ChorusDilifacSandboxCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A customer the bookseller has not set up for Chorus Pro yet: the tour does it.
        cls.town.with_company(cls.company).write(
            {"chorus_einvoicing": False, "chorus_debtor_type": False}
        )
        cls.printed = None

    def tour_dilifac_processes(self, browser, arg):
        self.assertTrue(self.processor.run_once(), "Dilifac found the upload")

    def tour_buyer_pays(self, browser, number):
        self.processor.set_chorus_status(number, "MISE_EN_PAIEMENT")

    def tour_printed_invoice(self, browser, number):
        printed = self.wait_for_download(".pdf")
        self.printed = printed_text(printed.read_bytes())
        self.assertIn(number, self.printed)

    def test_bookseller_journey_through_dilifac(self):
        self.assertFalse(self.town.with_company(self.company).chorus_einvoicing)
        self.start_chorus_tour("chorus_pro_dilifac_dilifac_tour")

        town = self.town.with_company(self.company)
        self.assertTrue(town.chorus_einvoicing)
        self.assertEqual(town.chorus_debtor_type, "local_authority")
        self.assertEqual(town.chorus_gln, "3025594696108")
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.town.id), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.chorus_state, "paid")
        self.assertEqual(invoice.chorus_sent_transport, "dilifac")
        codes = invoice.chorus_history_ids.mapped("code")
        for code in ("SENT", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT"):
            self.assertIn(code, codes)
        uploads = [
            path.name
            for path in (self.sshd.root / "I" / ".done").iterdir()
            if not path.name.endswith(".rdy")
        ]
        self.assertEqual(uploads, [invoice.chorus_sent_filename], "uploaded once")
        self.assertIn(
            f"{MENTION} {invoice.chorus_duplicata_date.strftime('%d/%m/%Y')}",
            self.printed,
            "the invoice printed after the sending is a duplicata, dated the French way",
        )
        self.assertScreenshots(
            "dilifac_partner_chorus_tab",
            "dilifac_send_and_print",
            "dilifac_made_available",
            "dilifac_paid",
            "dilifac_duplicata",
        )
