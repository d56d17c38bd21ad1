from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ChorusApiSandboxCommon

COMPLETE_WIZARD = "odoo.addons.chorus_pro_dilifac.wizards.chorus_complete_wizard"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestChorusCorrectiveActions(ChorusApiSandboxCommon):
    def deliver(self, invoice):
        """Sent, integrated and made available to the buyer."""
        self.assertFalse(invoice._chorus_send())
        for _step in range(2):
            self.sandbox.process_all()
            self.poll()
        self.assertEqual(invoice.chorus_state, "made_available")

    def sandbox_invoice(self, invoice):
        chorus_id = int(invoice.chorus_invoice_id)
        (item,) = [i for i in self.sandbox.invoices() if i["identifiantFactureCPP"] == chorus_id]
        return item

    def test_rejected_gives_full_credit_note_sent_and_a_draft_copy(self):
        invoice = self._invoice(self.town, ref="EJ-REJ-1", contract_reference="M2026-017")
        self.deliver(invoice)
        self.play_buyer(invoice, "REJETEE", "Quantités erronées")
        self.poll()
        self.assertEqual(invoice.chorus_state, "rejected")
        self.assertTrue(invoice.chorus_needs_attention)

        wizard = self.env["chorus.rejection.wizard"].create({"move_id": invoice.id})
        self.assertEqual(wizard.buyer_reason, "Quantités erronées")
        action = wizard.action_process()

        credit_note = invoice.reversal_move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.amount_total, invoice.amount_total, "full amount only")
        self.assertEqual(credit_note.purchase_order_reference, "EJ-REJ-1")
        self.assertEqual(credit_note.contract_reference, "M2026-017")
        self.assertIn("Quantités erronées", str(credit_note.narration))
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(credit_note.chorus_state, "sent", "the credit note left the same way")

        copy = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual((copy.state, copy.move_type), ("draft", "out_invoice"))
        self.assertEqual(copy.partner_id, invoice.partner_id)
        self.assertEqual(copy.amount_total, invoice.amount_total)
        self.assertEqual(copy.purchase_order_reference, "EJ-REJ-1")
        self.assertEqual(copy.chorus_state, "to_transmit")

        self.assertTrue(self.sandbox_invoice(invoice)["rejetTraite"], "acknowledged (traiterRejet)")
        codes = invoice.chorus_history_ids.mapped("code")
        self.assertIn("REJECTION_ACKNOWLEDGED", codes)
        self.assertIn("REJECTION_PROCESSED", codes)
        self.assertEqual(invoice.chorus_state, "rejected", "the Chorus status stays as it is")
        self.assertFalse(invoice.chorus_needs_attention, "handled")
        self.assertNotIn(
            invoice, self.env["account.move"].search([("chorus_needs_attention", "=", True)])
        )
        with self.assertRaises(UserError):
            self.env["chorus.rejection.wizard"].create({"move_id": invoice.id}).action_process()

        self.sandbox.process_all()
        self.poll()
        self.assertTrue(credit_note.chorus_invoice_id, "the credit note is integrated")
        self.assertIn(credit_note.chorus_state, ("integrated", "made_available"))

    def test_suspended_completed_then_made_available(self):
        invoice = self._invoice(self.town)
        self.deliver(invoice)
        self.play_buyer(invoice, "SUSPENDUE", "Bon de livraison manquant")
        self.poll()
        self.assertEqual(invoice.chorus_state, "suspended")
        Attachment = self.env["ir.attachment"]
        long_name = "x" * 47 + ".pdf"
        for name, message in ((long_name, long_name), ("setup.exe", "setup.exe")):
            bad = Attachment.create({"name": name, "raw": PDF, "mimetype": "application/pdf"})
            wizard = self.env["chorus.complete.wizard"].create(
                {"move_id": invoice.id, "comment": "Voici", "attachment_ids": [bad.id]}
            )
            with self.assertRaisesRegex(UserError, message.replace(".", r"\.")):
                wizard.action_complete()
        big = Attachment.create({"name": "gros.pdf", "raw": PDF})
        with patch(f"{COMPLETE_WIZARD}.ATTACHMENT_MAX_BYTES", 10):
            wizard = self.env["chorus.complete.wizard"].create(
                {"move_id": invoice.id, "attachment_ids": [big.id]}
            )
            with self.assertRaisesRegex(UserError, "gros.pdf.*10 MB"):
                wizard.action_complete()

        delivery_note = Attachment.create(
            {"name": "bon_livraison.pdf", "raw": PDF, "mimetype": "application/pdf"}
        )
        wizard = self.env["chorus.complete.wizard"].create(
            {
                "move_id": invoice.id,
                "comment": "Bon de livraison joint",
                "attachment_ids": [delivery_note.id],
            }
        )
        wizard.action_complete()
        self.assertEqual(invoice.chorus_state, "integrated")
        self.assertEqual(
            (delivery_note.res_model, delivery_note.res_id), ("account.move", invoice.id)
        )
        self.assertEqual(self.sandbox_invoice(invoice)["statut"], "COMPLETEE")
        self.assertEqual(len(self.sandbox.platform.attachments), 1)
        self.assertIn("COMPLETED", invoice.chorus_history_ids.mapped("code"))

        self.sandbox.process_all()
        self.poll()
        self.assertEqual(invoice.chorus_state, "made_available")
        self.assertIn("COMPLETEE", invoice.chorus_history_ids.mapped("code"))

    def test_to_recycle_with_a_new_service_code_then_made_available(self):
        invoice = self._invoice(self.town)
        self.assertFalse(invoice.buyer_reference)
        self.deliver(invoice)
        self.play_buyer(invoice, "A_RECYCLER", "Service exécutant manquant")
        self.poll()
        self.assertEqual(invoice.chorus_state, "to_recycle")

        wizard = self.env["chorus.recycle.wizard"].create({"move_id": invoice.id})
        self.assertEqual(wizard.buyer_siret, "21340172200011")
        wizard.buyer_siret = "21340172200012"
        with self.assertRaisesRegex(UserError, "not a valid SIRET"):
            wizard.action_recycle()
        wizard.write({"buyer_siret": "21340172200011", "service_code": "MEDIATHEQUE"})
        wizard.action_recycle()
        self.assertEqual(invoice.chorus_state, "integrated")
        self.assertEqual(invoice.buyer_reference, "MEDIATHEQUE")
        self.assertIn("RECYCLED", invoice.chorus_history_ids.mapped("code"))
        item = self.sandbox_invoice(invoice)
        self.assertEqual((item["statut"], item["codeServiceExecutant"]), ("DEPOSEE", "MEDIATHEQUE"))
        self.assertEqual(item["numeroFacture"], invoice.name, "same number")

        self.sandbox.process_all()
        self.poll()
        self.assertEqual(invoice.chorus_state, "made_available")
