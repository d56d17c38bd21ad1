from odoo.tests import Form, tagged

from .common import ChorusProCommon


@tagged("post_install", "-at_install")
class TestChorusInvoiceFields(ChorusProCommon):
    def test_engagement_number_follows_the_customer_reference(self):
        with Form(self.env["account.move"].with_context(default_move_type="out_invoice")) as form:
            form.partner_id = self.town
            form.ref = "EJ-2026-0024"
            self.assertEqual(form.purchase_order_reference, "EJ-2026-0024")
            form.ref = "EJ-2026-0042"  # a typo corrected before saving
            self.assertEqual(form.purchase_order_reference, "EJ-2026-0042")
            form.purchase_order_reference = "1300045678"
            form.ref = "something else"
            self.assertEqual(form.purchase_order_reference, "1300045678")

    def test_engagement_number_follows_a_corrected_reference(self):
        invoice = self._invoice(self.town, post=False, ref="EJ-2026-0042")
        self.assertEqual(invoice.purchase_order_reference, "EJ-2026-0042")
        with Form(invoice) as form:
            form.ref = "EJ-2026-0043"
            self.assertEqual(form.purchase_order_reference, "EJ-2026-0043")

    def test_market_number_read_from_the_note(self):
        invoice = self._invoice(
            self.town, post=False, narration="<p>Livres pour la médiathèque MARCHE = M2026-017</p>"
        )
        self.assertEqual(invoice.contract_reference, "M2026-017")
        invoice.contract_reference = "M2026-099"
        invoice.narration = "<p>Merci MARCHE = M2026-018</p>"
        self.assertEqual(invoice.contract_reference, "M2026-099", "a typed market number is kept")

    def test_no_market_number_without_the_convention(self):
        invoice = self._invoice(self.town, post=False, narration="<p>Marché de Noël</p>")
        self.assertFalse(invoice.contract_reference)

    def test_service_code_from_the_contact_then_the_company(self):
        self.town.chorus_service_code = "MEDIATHEQUE"
        contact = self.env["res.partner"].create(
            {
                "name": "Service culture",
                "parent_id": self.town.id,
                "type": "invoice",
                "chorus_service_code": "CULTURE",
            }
        )
        self.assertEqual(self._invoice(self.town, post=False).buyer_reference, "MEDIATHEQUE")
        self.assertEqual(self._invoice(contact, post=False).buyer_reference, "CULTURE")
        library = self.env["chorus.pro.service"].create(
            {"partner_id": self.town.id, "code": "MEDIA-JEUNESSE", "name": "Section jeunesse"}
        )
        contact.chorus_service_id = library
        self.assertEqual(self._invoice(contact, post=False).buyer_reference, "MEDIA-JEUNESSE")

    def test_service_code_follows_a_change_of_customer(self):
        self.town.chorus_service_code = "MEDIATHEQUE"
        self.hospital.chorus_service_code = "BIBLIO"
        with Form(self.env["account.move"].with_context(default_move_type="out_invoice")) as form:
            form.partner_id = self.town
            self.assertEqual(form.buyer_reference, "MEDIATHEQUE")
            form.partner_id = self.hospital
            self.assertEqual(form.buyer_reference, "BIBLIO")
            form.buyer_reference = "PHARMA"
            form.partner_id = self.town
            self.assertEqual(form.buyer_reference, "PHARMA", "a typed service code is kept")

    def test_references_are_frozen_once_sent(self):
        invoice = self._invoice(self.town, ref="EJ-1")
        invoice.chorus_state = "sent"
        invoice.ref = "EJ-2"
        self.assertEqual(invoice.purchase_order_reference, "EJ-1")

    def test_payment_means_from_the_payment_terms(self):
        cheque_terms = self.env["account.payment.term"].create(
            {"name": "Chèque à 30 jours", "chorus_payment_means": "20"}
        )
        invoice = self._invoice(self.town, post=False, invoice_payment_term_id=cheque_terms.id)
        self.assertEqual(invoice.chorus_payment_means, "20")
        invoice.chorus_payment_means = "30"
        self.assertEqual(invoice.chorus_payment_means, "30", "editable on the invoice")
        self.assertEqual(self._invoice(self.town, post=False).chorus_payment_means, "30")

    def test_invoices_of_einvoicing_customers_are_to_transmit(self):
        self.assertEqual(self._invoice(self.town).chorus_state, "to_transmit")
        self.assertEqual(self._invoice(self.partner_a).chorus_state, "not_concerned")
        refund = self._invoice(self.town, move_type="out_refund")
        self.assertEqual(refund.chorus_state, "to_transmit")

    def test_credit_note_references_the_credited_invoice(self):
        invoice = self._invoice(self.town, ref="EJ-77")
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "erreur de quantité"})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(refund.chorus_state, "to_transmit")

    def test_search_filters(self):
        to_transmit = self._invoice(self.town)
        draft = self._invoice(self.town, post=False)
        awaiting = self._invoice(self.hospital)
        awaiting.chorus_state = "sent"
        paid = self._invoice(self.state_buyer)
        paid.chorus_state = "paid"
        rejected = self._invoice(self.state_buyer)
        rejected.chorus_state = "rejected"
        ours = (to_transmit | draft | awaiting | paid | rejected).ids

        def found(filter_name):
            action = self.env["account.move"].with_context(search_default_x=1)
            view = self.env.ref("account.view_account_invoice_filter")
            arch = view.get_combined_arch()
            from lxml import etree
            from odoo.tools.safe_eval import safe_eval

            node = etree.fromstring(arch).xpath(f"//filter[@name='{filter_name}']")[0]
            domain = safe_eval(node.get("domain"))  # a view domain, as the web client reads it
            return set(action.search(domain + [("id", "in", ours)]).ids)

        self.assertEqual(found("chorus_to_transmit"), {to_transmit.id})
        self.assertEqual(found("chorus_awaiting"), {awaiting.id})
        self.assertEqual(found("chorus_success"), {paid.id})
        self.assertEqual(found("chorus_error"), {rejected.id})
        self.assertEqual(found("chorus_needs_attention"), {rejected.id})
