"""The portal journey, clicked in headless Chromium by a French accountant
(static/tests/tours/chorus_pro_portal_tour.js): several invoices exported into one
Chorus Pro portal file, downloaded, and read back from the browser's download.
"""

from decimal import Decimal

from odoo.addons.chorus_pro_dilifac.lib.portal_file import PORTAL_FILENAME, parse_portal_file
from odoo.tests import HttpCase, tagged

from .common import ChorusProCommon
from .tour_common import ChorusTourMixin


@tagged("post_install", "-at_install")
class TestChorusPortalTour(ChorusTourMixin, ChorusProCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.chorus_transport = "portal"
        cls.invoices = (
            cls._invoice(cls.town, ref="EJ-2026-0042")
            | cls._invoice(cls.state_buyer)
            | cls._invoice(cls.hospital, lines=[(cls.book, 4, 8.5)])
        )
        cls.portal_file = None

    def tour_portal_file(self, browser, arg):
        downloaded = self.wait_for_download(".xml")
        self.assertEqual(downloaded.name, PORTAL_FILENAME)
        self.portal_file = parse_portal_file(downloaded.read_bytes())

    def test_several_invoices_in_one_portal_file(self):
        self.start_chorus_tour("chorus_pro_dilifac_portal_tour")

        self.assertEqual(
            {invoice.number: invoice.amount_total for invoice in self.portal_file},
            {move.name: Decimal(f"{move.amount_total:.2f}") for move in self.invoices},
            "one file, each invoice once, with its amount",
        )
        for invoice in self.portal_file:
            self.assertTrue(invoice.pdf_bytes.startswith(b"%PDF-"), f"{invoice.number}'s PDF")
            self.assertEqual(invoice.payment_means_code, "30")
        self.assertEqual(set(self.invoices.mapped("chorus_state")), {"sent"})
        self.assertEqual(set(self.invoices.mapped("chorus_sent_transport")), {"portal"})
        self.assertScreenshots("portal_export_wizard", "portal_file_ready")
