"""The bookseller's journey through Dilifac, clicked in headless Chromium by a French
accountant (static/tests/tours/chorus_pro_dilifac_tour.js).

The bookseller sends through Dilifac and has PISTE credentials for directory look-ups
only: the directory is the local Chorus Pro's (real HTTPS), the uploads go to the local
Dilifac (a real sshd). Between steps the test runs Dilifac's processor, as Dilifac and the
buyer would: the upload is passed to Chorus Pro and made available, the buyer puts it to
recycle, takes it back, then pays, each on a later day. The invoice printed at the end is
read back from the browser's download.

The recycling is done on the portal, as the wizard tells a Dilifac sender: Dilifac has
no message to recycle an invoice, and its Chorus Pro (the processor's) is not the API
sandbox's, so the API recycling is tested against the API sandbox alone
(tests/test_corrective_actions.py).
"""

import datetime
import io
import json
import re

from odoo.tests import HttpCase, tagged
from PyPDF2 import PdfReader

from .common import ChorusApiSandboxCommon, ChorusDilifacSandboxCommon
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


CUSTOMER = "Ville de Port-Lumière"
CUSTOMER_SIRET = "21130055300016"


@tagged("post_install", "-at_install")
class TestChorusDilifacTour(
    ChorusTourMixin, ChorusDilifacSandboxCommon, ChorusApiSandboxCommon, HttpCase
):
    @classmethod
    def setUpClass(cls):
        # The API sandbox's set-up gives the PISTE credentials, the Dilifac one then
        # makes Dilifac the transport: the credentials stay, for look-ups only.
        super().setUpClass()
        cls.printed = None

    def setUp(self):
        super().setUp()
        self.assertEqual(self.company.chorus_transport, "dilifac")
        self.assertTrue(self.company.chorus_directory_available)
        # Dilifac's clock: the buyer answers on later days, as in real life.
        from sandboxes.chorus_pro.clock import paris_now

        self.days_later = datetime.timedelta()
        default_clock = self.processor.clock
        self.processor.clock = lambda: paris_now().replace(second=0) + self.days_later
        self.addCleanup(setattr, self.processor, "clock", default_clock)

    def buyer(self, number, status, reason=None, days=1):
        self.days_later += datetime.timedelta(days=days)
        self.processor.set_chorus_status(number, status, reason)

    def tour_dilifac_processes(self, browser, arg):
        self.assertTrue(self.processor.run_once(), "Dilifac found the upload")

    def tour_buyer_recycles(self, browser, number):
        self.buyer(number, "A_RECYCLER", "Service exécutant à indiquer : CULTURE", days=2)

    def tour_buyer_takes_back(self, browser, number):
        self.buyer(number, "MISE_A_DISPOSITION")

    def tour_buyer_pays(self, browser, number):
        self.buyer(number, "MISE_EN_PAIEMENT", days=21)

    def tour_printed_invoice(self, browser, number):
        printed = self.wait_for_download(".pdf")
        self.printed = printed_text(printed.read_bytes())
        self.assertIn(number, self.printed)

    def test_bookseller_journey_through_dilifac(self):
        Partner = self.env["res.partner"]
        self.assertFalse(Partner.search([("siret", "=", CUSTOMER_SIRET)]), "a new customer")
        self.start_chorus_tour("chorus_pro_dilifac_dilifac_tour")

        # The customer, created from the directory with its flags and services.
        customer = Partner.search([("siret", "=", CUSTOMER_SIRET)]).with_company(self.company)
        self.assertEqual(customer.name, CUSTOMER)
        self.assertEqual((customer.zip, customer.city), ("13002", "Port-Lumière"))
        self.assertEqual(customer.lang, "fr_FR", "a French public body, invoiced in French")
        self.assertTrue(customer.chorus_einvoicing)
        self.assertEqual(customer.chorus_debtor_type, "local_authority")
        self.assertEqual(customer.chorus_gln, "3025594696108")
        self.assertEqual(customer.chorus_structure_id, 2005)
        self.assertTrue(customer.chorus_service_or_engagement)
        self.assertEqual(customer.chorus_service_ids.mapped("code"), ["CULTURE"])

        invoice = self.env["account.move"].search(
            [("partner_id", "=", customer.id), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.chorus_state, "paid")
        self.assertEqual(invoice.chorus_sent_transport, "dilifac")
        self.assertEqual(invoice.purchase_order_reference, "BC-2026-118")
        self.assertEqual(invoice.buyer_reference, "CULTURE", "the recycled routing")
        codes = invoice.chorus_history_ids.mapped("code")
        for code in ("SENT", "MISE_A_DISPOSITION", "A_RECYCLER", "RECYCLED", "MISE_EN_PAIEMENT"):
            self.assertIn(code, codes)
        self.assertEqual(codes.count("SENT"), 1, "sent once")
        self.assertFalse(
            {"REJETE", "REJETEE"} & set(codes), "never refused, never rejected as a duplicate"
        )
        self.assertAlmostEqual(invoice.chorus_days_to_payment, 24, delta=0.1)

        # Never a second deposit: one upload to Dilifac, one invoice on its Chorus Pro,
        # nothing deposited through the API.
        uploads = [
            path.name
            for path in (self.sshd.root / "I" / ".done").iterdir()
            if not path.name.endswith(".rdy")
        ]
        self.assertEqual(uploads, [invoice.chorus_sent_filename], "uploaded once")
        state = json.loads(self.processor.state_path.read_text())
        self.assertEqual(list(state["invoices"]), [invoice.name])
        self.assertEqual(state["invoices"][invoice.name]["status"], "MISE_EN_PAIEMENT")
        self.assertFalse(
            [path for path in self.sandbox.stats["calls"] if "deposer" in path],
            "nothing deposited through the API",
        )
        self.assertTrue(
            self.sandbox.stats["calls"].get("/cpro/transverses/v1/rechercher/destinataire"),
            "the directory was searched on Chorus Pro",
        )

        # What the dashboard showed at the end (the tour checked these numbers).
        self.company.invalidate_recordset()
        self.assertEqual(self.company.chorus_count_attention, 0)
        self.assertEqual(self.company.chorus_count_paid, 1)
        self.assertIn(
            f"{MENTION} {invoice.chorus_duplicata_date.strftime('%d/%m/%Y')}",
            self.printed,
            "the invoice printed after the sending is a duplicata, dated the French way",
        )
        self.assertScreenshots(
            "dilifac_directory_search",
            "dilifac_partner_chorus_tab",
            "dilifac_send_and_print",
            "dilifac_made_available",
            "dilifac_dashboard_attention",
            "dilifac_recycle_wizard",
            "dilifac_paid",
            "dilifac_duplicata",
            "dilifac_dashboard",
        )
