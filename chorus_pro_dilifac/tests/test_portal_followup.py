import base64

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import ChorusApiSandboxCommon


@tagged("post_install", "-at_install")
class TestPortalFollowUp(ChorusApiSandboxCommon):
    """Invoices uploaded by hand on the portal: followed through the API when the company
    has credentials, recorded by hand otherwise; the state always follows the history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.chorus_transport = "portal"

    def export(self, *moves):
        moves = self.env["account.move"].union(*moves)
        form = Form(
            self.env["chorus.pro.portal.export"].with_context(
                active_model="account.move", active_ids=moves.ids
            )
        )
        form.mark_as_sent = True
        wizard = form.save()
        wizard.action_export()
        self.assertTrue(all(m.chorus_state == "sent" for m in moves))
        return wizard

    def test_with_api_credentials_uploaded_invoices_are_followed_like_the_others(self):
        invoice = self._invoice(self.town)
        wizard = self.export(invoice)
        # The user uploads the file on the portal: Chorus Pro receives the same flow.
        self.company._chorus_api_client().deposit_flow(
            wizard.file_ids.name,
            base64.b64decode(wizard.file_ids.data),
            "IN_DP_E2_CPP_FACTURE_MIN",
        )
        self.assertTrue(invoice.chorus_api_lookups)
        self.env["account.move"]._cron_chorus_portal_follow()
        self.assertFalse(invoice.chorus_invoice_id, "not integrated yet: nothing found")
        self.assertEqual(invoice.chorus_state, "sent")

        self.sandbox.process_all()
        # The menu "Fetch news now" does what the scheduled action does, now.
        action = self.env["account.move"].action_chorus_fetch_news_now()
        self.assertIn("uploaded on the portal", action["params"]["message"])
        self.assertTrue(invoice.chorus_invoice_id)
        self.assertEqual(invoice.chorus_state, "made_available")
        self.play_buyer(invoice, "MISE_EN_PAIEMENT")
        self.env["account.move"]._cron_chorus_portal_follow()
        self.assertEqual(invoice.chorus_state, "paid")
        self.assertTrue(invoice.chorus_paid_on)

    def test_without_credentials_the_portal_status_is_recorded_and_the_state_follows(self):
        self.company.sudo().chorus_tech_password = False
        invoice = self._invoice(self.town)
        self.export(invoice)
        invoice.invalidate_recordset(["chorus_api_lookups"])
        self.assertFalse(invoice.chorus_api_lookups)
        action = invoice.action_chorus_record_portal_status()
        Status = self.env[action["res_model"]].with_context(**action["context"])

        with self.assertRaisesRegex(UserError, "Comment"):
            Status.create({"status": "SUSPENDUE"}).action_record()
        self.assertEqual(invoice.chorus_state, "sent", "nothing changed")

        Status.create(
            {"status": "MISE_A_DISPOSITION", "date": "2026-11-05 09:00:00"}
        ).action_record()
        self.assertEqual(invoice.chorus_state, "made_available")
        Status.create(
            {"status": "MISE_EN_PAIEMENT", "date": "2026-11-20 09:00:00", "comment": "Virement"}
        ).action_record()
        self.assertEqual(invoice.chorus_state, "paid")
        line = invoice.chorus_history_ids.sorted("id")[-1]
        self.assertEqual((line.source, line.code), ("portal", "MISE_EN_PAIEMENT"))
        self.assertIn("Virement", line.comment)
        self.assertEqual(str(invoice.chorus_paid_on), "2026-11-20 09:00:00")

    def test_only_portal_uploads_take_a_recorded_status(self):
        invoice = self._invoice(self.town)
        with self.assertRaisesRegex(UserError, invoice.name):
            invoice.action_chorus_record_portal_status()

    def test_days_to_payment_per_buyer_and_month_paid_invoices_only(self):
        town_fast, town_slow, unpaid = (self._invoice(self.town) for _i in range(3))
        early = self._invoice(self.hospital)
        self.export(town_fast, town_slow, unpaid, early)
        Status = self.env["chorus.portal.status"]
        for move, sent, paid in (
            (town_fast, "2026-10-01 00:00:00", "2026-10-11 00:00:00"),  # 10 days
            (town_slow, "2026-10-01 00:00:00", "2026-10-31 00:00:00"),  # 30 days
            (early, "2026-10-05 00:00:00", "2026-10-04 00:00:00"),  # paid the day before
            (unpaid, "2026-10-01 00:00:00", None),
        ):
            move.chorus_sent_on = sent
            if paid:
                Status.create(
                    {"move_id": move.id, "status": "MISE_EN_PAIEMENT", "date": paid}
                ).action_record()
        self.assertEqual(town_fast.chorus_days_to_payment, 10)
        self.assertEqual(early.chorus_days_to_payment, -1, "shown, not clamped to 0")
        self.assertFalse(unpaid.chorus_paid_on)

        Delay = self.env["chorus.pro.payment.delay"]
        base = [("company_id", "=", self.company.id)]
        by_buyer = {
            row.partner_id: (row.invoice_count, row.average_days, row.median_days)
            for row in Delay.search(base + [("dimension", "=", "buyer")])
        }
        self.assertEqual(by_buyer, {self.town: (2, 20, 20), self.hospital: (1, -1, -1)})
        (month,) = Delay.search(base + [("dimension", "=", "month")])
        self.assertEqual(str(month.month), "2026-10-01")
        self.assertEqual(month.with_context(lang="en_US").month_label, "October 2026")
        self.assertEqual(month.invoice_count, 3, "the unpaid invoice is not counted")
        self.assertEqual((month.average_days, month.median_days), (13, 10))
