"""The supplier's journey through the Chorus Pro API, clicked in headless Chromium by a
French accountant (static/tests/tours/chorus_pro_api_tour.js).

The company talks to the local Chorus Pro sandbox over real HTTP; between steps the test
plays Chorus Pro (processing the deposited flows) and the buyer (rejecting the invoice).
"""

from odoo.tests import HttpCase, tagged

from .common import ChorusApiSandboxCommon
from .tour_common import ChorusTourMixin

REJECTION_REASON = "Quantités erronées"


@tagged("post_install", "-at_install")
class TestChorusApiTour(ChorusTourMixin, ChorusApiSandboxCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.town.with_company(cls.company).invoice_sending_method = "chorus_pro"

    def tour_process_all(self, browser, arg):
        self.sandbox.process_all()

    def tour_buyer_rejects(self, browser, number):
        (invoice,) = [i for i in self.sandbox.invoices() if i["numeroFacture"] == number]
        self.sandbox.platform.set_status(
            {
                "idFacture": invoice["identifiantFactureCPP"],
                "nouveauStatut": "REJETEE",
                "motif": REJECTION_REASON,
            }
        )

    def test_supplier_journey_through_the_api(self):
        self.start_chorus_tour("chorus_pro_dilifac_api_tour")

        self.assertTrue(self.town.chorus_directory_checked_on, "the directory was read")
        invoices = self.env["account.move"].search(
            [("partner_id", "=", self.town.id), ("move_type", "=", "out_invoice")], order="id"
        )
        self.assertEqual(len(invoices), 2, "the rejected invoice and its corrected copy")
        rejected, copy = invoices
        self.assertEqual(rejected.chorus_state, "rejected")
        self.assertEqual(rejected.payment_state, "reversed")
        self.assertIn("REJECTION_ACKNOWLEDGED", rejected.chorus_history_ids.mapped("code"))
        credit_note = rejected.reversal_move_ids
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.amount_total, rejected.amount_total)
        self.assertEqual(credit_note.chorus_state, "sent", "the credit note went the same way")
        self.assertEqual((copy.state, copy.chorus_state), ("posted", "sent"))
        self.assertEqual(copy.amount_total, rejected.amount_total)
        self.assertTrue(
            next(i for i in self.sandbox.invoices() if i["numeroFacture"] == rejected.name)[
                "rejetTraite"
            ],
            "the rejection was acknowledged on Chorus Pro",
        )
        self.sandbox.process_all()
        self.assertEqual(
            sorted(i["numeroFacture"] for i in self.sandbox.invoices()),
            sorted((rejected | credit_note | copy).mapped("name")),
            "each document deposited once",
        )
        self.assertScreenshots(
            "partner_chorus_tab", "api_send_and_print", "invoice_chorus_tab", "api_rejection_wizard"
        )
