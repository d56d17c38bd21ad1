import io

from lxml import etree
from odoo import fields, models
from odoo.tools import cleanup_xml_node
from odoo.tools.pdf import (
    DictionaryObject,
    NameObject,
    NumberObject,
    OdooPdfFileReader,
    OdooPdfFileWriter,
)

from ..lib.codes import CREDIT_TRANSFER_CODES, SYNTAX_CII, unit_price_repr
from ..lib.filenames import chorus_file_name

# The Factur-X EN 16931 profile; the Factur-X schematron refuses anything else here
# (FX-SCH-A-000556), so the cadre cannot go in this element as GOBL does for CII.
EN16931_GUIDELINE_ID = "urn:cen.eu:en16931:2017"
FACTURX_XML_NAME = "factur-x.xml"


class AccountEdiXmlCiiChorus(models.AbstractModel):
    """CII D16B deposited on Chorus Pro as ``IN_DP_E1_CII_16B``, and the XML embedded in
    the Factur-X PDF/A-3 (``IN_DP_E2_CII_FACTURX``, EN 16931 profile).

    The cadre de facturation goes in BusinessProcessSpecifiedDocumentContextParameter
    (BT-23). This placement is ASSUMED (chorus-pro.md §6.2: unverified).
    """

    _name = "account.edi.xml.cii_chorus"
    _inherit = "account.edi.xml.cii"
    _description = "CII D16B / Factur-X for Chorus Pro (EN 16931)"

    def _export_invoice_filename(self, invoice):
        return chorus_file_name(invoice.name, SYNTAX_CII, attempt=invoice.chorus_attempt or 1)

    def _chorus_payment_means_vals(self, invoice):
        """None for a credit note (Chorus refuses payment means there, §5.3)."""
        if invoice.move_type == "out_refund":
            return None
        code = invoice.chorus_payment_means or "30"
        vals = {"code": code}
        bank = invoice.company_id.chorus_bank_account_id
        if code in CREDIT_TRANSFER_CODES and bank:
            vals.update({"iban": bank.sanitized_acc_number, "bic": bank.bank_id.bic})
        return vals

    def _get_tax_unece_codes(self, customer, supplier, tax):
        # EXTENDS account.edi.common: the exemption reason set on the tax.
        return (tax and tax._chorus_exemption_unece_codes()) or super()._get_tax_unece_codes(
            customer, supplier, tax
        )

    def _export_invoice_vals(self, invoice):
        # EXTENDS account.edi.xml.cii
        vals = super()._export_invoice_vals(invoice)
        credited = invoice.reversed_entry_id if invoice.move_type == "out_refund" else None
        syntax = self.env.context.get("chorus_syntax") or SYNTAX_CII
        dilifac = self.env.context.get("chorus_dilifac")
        for line_vals in vals["invoice_line_vals_list"]:
            name, description = line_vals["line"]._chorus_item_name_and_description()
            line_vals.update(
                {
                    "chorus_item_name": name,
                    "chorus_item_description": description,
                    "chorus_gross_price": unit_price_repr(line_vals["gross_price_total_unit"]),
                    "chorus_discount": unit_price_repr(line_vals["price_discount_unit"]),
                    "chorus_net_price": unit_price_repr(line_vals["price_subtotal_unit"]),
                }
            )
        narration = vals["ExchangedDocument_vals"].get("included_note")
        vals.update(
            {
                "document_context_id": EN16931_GUIDELINE_ID,
                "chorus_cadre": invoice.chorus_cadre or "A1",
                "siret_scheme": invoice.company_id._chorus_siret_scheme(syntax),
                # BG-1: the invoice's own note, then the French mandatory mentions with
                # their subject codes (BR-FR-05).
                "chorus_notes": ([(None, narration)] if narration else [])
                + invoice._chorus_legal_notes(),
                "chorus_payment_terms_text": invoice._chorus_payment_terms_text(),
                # BT-34 / BT-49, as in UBL.
                "chorus_seller_address": invoice._chorus_electronic_address("supplier", dilifac),
                "chorus_buyer_address": invoice._chorus_electronic_address("customer", dilifac),
                "seller_specified_legal_organization": invoice.company_id.siret,
                "buyer_specified_legal_organization": invoice.commercial_partner_id.siret,
                # Only what the user gave: Odoo falls back to the partner's ref (service
                # code) and to the invoice's ref or number (engagement number).
                "buyer_reference": invoice.buyer_reference or "",
                "purchase_order_reference": invoice.purchase_order_reference or "",
                "contract_reference": invoice.contract_reference or "",
                "chorus_payment_means": self._chorus_payment_means_vals(invoice),
                "chorus_prepaid_and_due": invoice._chorus_prepaid_and_due(),
                "invoice_referenced_document": credited
                and {"id": credited.name, "date": credited.invoice_date},
            }
        )
        return vals

    def _export_invoice_constraints(self, invoice, vals):
        # EXTENDS account.edi.xml.cii
        constraints = super()._export_invoice_constraints(invoice, vals)
        # XRechnung rules (BR-DE-*) on Odoo's partner_bank_id, phone and email: the
        # Chorus bank account is checked by account.move._chorus_check_before_sending.
        for key in (
            "seller_payment_instructions_1",
            "seller_payment_instructions_2",
            "seller_phone",
            "seller_email",
        ):
            constraints.pop(key, None)
        return constraints

    def _export_invoice(self, invoice):
        # OVERRIDES account.edi.xml.cii: same steps, our template.
        vals = self._export_invoice_vals(invoice.with_context(lang=invoice.partner_id.lang))
        errors = [
            error for error in self._export_invoice_constraints(invoice, vals).values() if error
        ]
        xml_content = self.env["ir.qweb"]._render("chorus_pro_dilifac.cii_chorus_invoice", vals)
        return etree.tostring(
            cleanup_xml_node(xml_content), xml_declaration=True, encoding="UTF-8"
        ), set(errors)

    def _chorus_facturx_pdf(self, invoice, pdf_content, xml_content):
        """The invoice PDF as a Factur-X PDF/A-3 carrying ``xml_content``, built the way
        account_edi_ubl_cii does when sending (account.move.send): Odoo's PDF writer,
        PDF/A conversion and Factur-X XMP metadata.

        A PDF rendered by Send & Print already embeds Odoo's own factur-x.xml; it is
        dropped so that the file carries exactly one, ours.
        """
        reader = OdooPdfFileReader(io.BytesIO(pdf_content), strict=False)
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(reader)
        names = writer._root_object.get("/Names")
        if names and "/EmbeddedFiles" in names:
            del names["/EmbeddedFiles"]
        if "/AF" in writer._root_object:
            del writer._root_object["/AF"]
        writer.addAttachment(FACTURX_XML_NAME, xml_content, subtype="text/xml")
        # writer.is_pdfa guesses from the header bytes and says yes for wkhtmltopdf's
        # output: an output intent is what PDF/A conversion actually leaves behind.
        root = writer._root_object
        if "/OutputIntents" not in root:
            if "/Outlines" not in root:  # convert_to_pdfa expects one (wkhtmltopdf may omit it)
                root[NameObject("/Outlines")] = writer._addObject(
                    DictionaryObject(
                        {
                            NameObject("/Type"): NameObject("/Outlines"),
                            NameObject("/Count"): NumberObject(0),
                        }
                    )
                )
            writer.convert_to_pdfa()
        metadata = self.env["ir.qweb"]._render(
            "account_edi_ubl_cii.account_invoice_pdfa_3_facturx_metadata",
            {"title": invoice.name, "date": fields.Date.context_today(self)},
        )
        writer.add_file_metadata(metadata.encode())
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()
