import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ChorusDilifacSandboxCommon


@tagged("post_install", "-at_install")
class TestCorrectiveActionsThroughDilifac(ChorusDilifacSandboxCommon):
    """A bookseller without Chorus Pro API access: the corrective actions are done on
    the portal and confirmed in Odoo; nothing is uploaded again."""

    def setUp(self):
        super().setUp()
        # Dilifac's clock: the buyer answers on later days, as in real life (two
        # identical lines within the same minute are one event).
        self.now = datetime.datetime.now().replace(second=0, microsecond=0) - datetime.timedelta(
            days=30
        )
        default_clock = self.processor.clock
        self.processor.clock = lambda: self.now
        self.addCleanup(setattr, self.processor, "clock", default_clock)

    def uploads(self):
        return sorted(
            p.name for folder in ("I", "I/.done") for p in (self.sshd.root / folder).glob("*.xml")
        )

    def delivered(self, partner=None):
        invoice = self._invoice(partner or self.town)
        self.assertFalse(invoice._chorus_send())
        self.dilifac_round()
        self.assertEqual(invoice.chorus_state, "made_available")
        return invoice

    def buyer(self, invoice, status, reason=None):
        self.now += datetime.timedelta(days=1)
        self.processor.set_chorus_status(invoice.name, status, reason)
        self.dilifac_round()

    def test_recycled_on_the_portal_then_made_available_without_a_second_upload(self):
        invoice = self.delivered()
        self.buyer(invoice, "A_RECYCLER", "Service exécutant manquant")
        self.assertEqual(invoice.chorus_state, "to_recycle")
        uploads = self.uploads()

        wizard = self.env["chorus.recycle.wizard"].create({"move_id": invoice.id})
        self.assertEqual(wizard.mode, "portal", "no API access")
        # Confirmed without correcting anything: Chorus Pro would get the same routing back.
        with self.assertRaisesRegex(UserError, "nothing was corrected"):
            wizard.action_confirm_portal()
        self.assertEqual(invoice.chorus_state, "to_recycle")
        wizard.service_code = "MEDIATHEQUE"
        steps = str(wizard.portal_steps)
        for expected in (
            invoice.chorus_portal_url,
            invoice.name,
            invoice.chorus_invoice_id,
            "21340172200011",
            "MEDIATHEQUE",
            "Recycler",
        ):
            self.assertIn(expected, steps)
        with self.assertRaisesRegex(UserError, "portal"):
            wizard.action_recycle()
        wizard.action_confirm_portal()

        self.assertEqual(self.uploads(), uploads, "nothing deposited again")
        self.assertEqual(invoice.chorus_state, "integrated")
        self.assertEqual(invoice.buyer_reference, "MEDIATHEQUE")
        line = invoice.chorus_history_ids.filtered(lambda h: h.code == "RECYCLED")
        self.assertIn("portal", line.comment)
        self.assertIn("MEDIATHEQUE", line.comment)
        self.assertFalse(invoice.chorus_needs_attention)

        self.buyer(invoice, "MISE_A_DISPOSITION")
        self.assertEqual(invoice.chorus_state, "made_available")
        self.buyer(invoice, "MISE_EN_PAIEMENT")
        self.assertEqual(invoice.chorus_state, "paid")

    def test_completed_on_the_portal(self):
        invoice = self.delivered()
        self.buyer(invoice, "SUSPENDUE", "Bon de livraison manquant")
        self.assertEqual(invoice.chorus_state, "suspended")
        wizard = self.env["chorus.complete.wizard"].create(
            {"move_id": invoice.id, "comment": "Bon de livraison déposé"}
        )
        self.assertEqual(wizard.mode, "portal")
        self.assertIn("Bon de livraison manquant", str(wizard.portal_steps))
        with self.assertRaisesRegex(UserError, "portal"):
            wizard.action_complete()
        wizard.action_confirm_portal()
        self.assertEqual(invoice.chorus_state, "integrated")
        self.assertIn("COMPLETED", invoice.chorus_history_ids.mapped("code"))
        self.buyer(invoice, "MISE_A_DISPOSITION")
        self.assertEqual(invoice.chorus_state, "made_available")

    def test_rejection_acknowledged_on_the_portal(self):
        invoice = self.delivered()
        self.buyer(invoice, "REJETEE", "Quantités erronées")
        self.assertEqual(invoice.chorus_state, "rejected")
        wizard = self.env["chorus.rejection.wizard"].create(
            {"move_id": invoice.id, "acknowledged_on_portal": True}
        )
        self.assertEqual(wizard.mode, "portal")
        wizard.action_process()
        codes = invoice.chorus_history_ids.mapped("code")
        self.assertIn("REJECTION_ACKNOWLEDGED", codes)
        self.assertIn("REJECTION_PROCESSED", codes)
        credit_note = invoice.reversal_move_ids
        self.assertEqual(credit_note.chorus_sent_transport, "dilifac", "the credit note left")
        self.dilifac_round()
        self.assertEqual(credit_note.chorus_state, "made_available")
