import base64

from odoo import models

from ..lib.codes import CREDIT_TRANSFER_CODES, SYNTAX_UBL, unit_price_repr
from ..lib.filenames import chorus_file_name

EN16931_CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017"


class AccountEdiXmlUblChorus(models.AbstractModel):
    """UBL 2.1 Invoice / CreditNote deposited on Chorus Pro as ``IN_DP_E1_UBL_INVOICE``.

    Plain EN 16931 (no Peppol BIS rules) with the Chorus data at the places of
    chorus-pro.md §6.1. Context keys:

    * ``chorus_dilifac``: add the Dilifac routing GLNs as ``EndpointID schemeID="0088"``;
    * ``chorus_pdf``: ``(filename, bytes)`` of the invoice PDF, embedded as an
      AdditionalDocumentReference.

    The cadre de facturation is written in ``cbc:ProfileID`` (BT-23, business process
    type). This placement is ASSUMED: no Chorus source says where an E1 UBL carries it.
    """

    _name = "account.edi.xml.ubl_chorus"
    _inherit = "account.edi.xml.ubl_bis3"
    _description = "UBL 2.1 for Chorus Pro (EN 16931)"

    def _export_invoice_filename(self, invoice):
        return chorus_file_name(invoice.name, SYNTAX_UBL, attempt=invoice.chorus_attempt or 1)

    # -------------------------------------------------------------------------
    # Parties
    # -------------------------------------------------------------------------

    def _chorus_party_vals(self, invoice, partner, role):
        """SIRET as PartyIdentification and PartyLegalEntity with the syntax's scheme,
        and the electronic address (see account.move._chorus_electronic_address)."""
        company = invoice.company_id
        commercial = partner.commercial_partner_id
        scheme = company._chorus_siret_scheme(SYNTAX_UBL)
        vals = {
            "party_identification_vals": [
                {"id": commercial.siret, "id_attrs": {"schemeID": scheme}}
            ]
            if commercial.siret
            else [],
            # BT-30 / BT-47: the legal registration is the SIRET, not the VAT number
            # (that one is BT-31 / BT-48, in PartyTaxScheme).
            "party_legal_entity_vals": [
                {
                    "commercial_partner": commercial,
                    "registration_name": commercial.name,
                    "company_id": commercial.siret or None,
                    "company_id_attrs": {"schemeID": scheme} if commercial.siret else {},
                }
            ],
        }
        address = invoice._chorus_electronic_address(role, self.env.context.get("chorus_dilifac"))
        if address:
            scheme, endpoint = address
            vals.update({"endpoint_id": endpoint, "endpoint_id_attrs": {"schemeID": scheme}})
        return vals

    def _get_partner_party_tax_scheme_vals_list(self, partner, role):
        # EXTENDS account.edi.xml.ubl_bis3
        # bis3 fills a PartyTaxScheme with the Peppol address of a party without VAT
        # number (most public buyers): that is no VAT identifier (BT-48), so leave it out.
        if not partner.vat:
            return []
        return super()._get_partner_party_tax_scheme_vals_list(partner, role)

    def _get_tax_unece_codes(self, customer, supplier, tax):
        # EXTENDS account.edi.common: the exemption reason set on the tax.
        return (tax and tax._chorus_exemption_unece_codes()) or super()._get_tax_unece_codes(
            customer, supplier, tax
        )

    # -------------------------------------------------------------------------
    # Lines
    # -------------------------------------------------------------------------

    def _get_invoice_line_item_vals(self, line, taxes_vals):
        # EXTENDS account.edi.xml.ubl_bis3: a line without product is named by the first
        # line of its label (BT-153), the rest is its description (BT-154).
        vals = super()._get_invoice_line_item_vals(line, taxes_vals)
        name, description = line._chorus_item_name_and_description()
        vals.update({"name": name, "description": description})
        return vals

    def _get_invoice_line_vals(self, line, line_id, taxes_vals):
        # EXTENDS account.edi.xml.ubl_bis3: Odoo rounds the unit price to 10 decimals;
        # the French rules allow 6 (BR-FR-DEC-03). Written once bis3 has done its sums.
        vals = super()._get_invoice_line_vals(line, line_id, taxes_vals)
        vals["price_vals"]["price_amount"] = unit_price_repr(vals["price_vals"]["price_amount"])
        return vals

    # -------------------------------------------------------------------------
    # Notes and payment
    # -------------------------------------------------------------------------

    def _get_note_vals_list(self, invoice):
        # EXTENDS account.edi.xml.ubl_20: the French mandatory mentions, each with its
        # subject code written as UBL writes one (BT-21 as "#CODE#", BR-FR-05).
        notes = super()._get_note_vals_list(invoice)
        return notes + [{"note": f"#{code}#{text}"} for code, text in invoice._chorus_legal_notes()]

    def _get_invoice_payment_terms_vals_list(self, invoice):
        # OVERRIDES account.edi.xml.ubl_20: Odoo writes only the term's note, so an
        # installment term without note lost its text (BT-20).
        text = invoice._chorus_payment_terms_text()
        return [{"note_vals": [{"note": text}]}] if text else []

    # -------------------------------------------------------------------------
    # Payment
    # -------------------------------------------------------------------------

    def _get_invoice_payment_means_vals_list(self, invoice):
        # OVERRIDES account.edi.xml.ubl_bis3: the means chosen on the invoice, paid to
        # the company's Chorus account; a credit note carries none (chorus-pro.md §5.3).
        if invoice.move_type == "out_refund":
            return []
        code = invoice.chorus_payment_means or "30"
        vals = {
            "payment_means_code": code,
            "payment_id_vals": [invoice.payment_reference or invoice.name],
        }
        bank = invoice.company_id.chorus_bank_account_id
        if code in CREDIT_TRANSFER_CODES and bank:
            vals["payee_financial_account_vals"] = self._get_financial_account_vals(bank)
        return [vals]

    def _get_invoice_monetary_total_vals(
        self,
        invoice,
        taxes_vals,
        line_extension_amount,
        allowance_total_amount,
        charge_total_amount,
    ):
        # EXTENDS account.edi.xml.ubl_20
        vals = super()._get_invoice_monetary_total_vals(
            invoice, taxes_vals, line_extension_amount, allowance_total_amount, charge_total_amount
        )
        prepaid, payable = invoice._chorus_prepaid_and_due()
        vals.update({"prepaid_amount": prepaid, "payable_amount": payable})
        return vals

    # -------------------------------------------------------------------------
    # Document
    # -------------------------------------------------------------------------

    def _get_additional_document_reference_list(self, invoice):
        # EXTENDS account.edi.xml.ubl_20
        references = super()._get_additional_document_reference_list(invoice)
        pdf = self.env.context.get("chorus_pdf")
        if pdf:
            filename, content = pdf
            references.append(
                {
                    "id": filename,
                    "attachment_vals": {
                        "filename": filename,
                        "mime_code": "application/pdf",
                        "content": base64.b64encode(content).decode(),
                    },
                }
            )
        return references

    def _export_invoice_vals(self, invoice):
        # EXTENDS account.edi.xml.ubl_bis3
        vals = super()._export_invoice_vals(invoice)
        vals.update(
            {
                "InvoiceType_template": "chorus_pro_dilifac.ubl_chorus_InvoiceType",
                "CreditNoteType_template": "chorus_pro_dilifac.ubl_chorus_CreditNoteType",
            }
        )
        document = vals["vals"]
        document.update(
            {
                "customization_id": EN16931_CUSTOMIZATION_ID,
                "profile_id": invoice.chorus_cadre or "A1",
                # Only what the user gave: never the partner's ref (Odoo's fallback).
                "buyer_reference": invoice.buyer_reference or None,
                # OrderReference/ID is mandatory in its node: without an engagement
                # number the whole node goes (no fallback to ref or number).
                "order_reference": invoice.purchase_order_reference or None,
                "sales_order_id": (
                    invoice.purchase_order_reference and document.get("sales_order_id")
                )
                or None,
                "contract_document_reference": invoice.contract_reference or None,
                "billing_reference_vals": {},
            }
        )
        for role in ("supplier", "customer"):
            document[f"accounting_{role}_party_vals"]["party_vals"].update(
                self._chorus_party_vals(invoice, vals[role], role)
            )
        credited = invoice.reversed_entry_id
        if invoice.move_type == "out_refund" and credited:
            document["billing_reference_vals"] = {
                "id": credited.name,
                "issue_date": credited.invoice_date,
            }
        return vals

    def _export_invoice_constraints(self, invoice, vals):
        # EXTENDS account.edi.xml.ubl_bis3
        constraints = super()._export_invoice_constraints(invoice, vals)
        # Checked on the Chorus bank account by account.move._chorus_check_before_sending.
        constraints.pop("cen_en16931_payment_account_identifier", None)
        return constraints

    def _invoice_constraints_cen_en16931_ubl(self, invoice, vals):
        # EXTENDS account.edi.xml.ubl_bis3: it reads the first payment means, and a
        # Chorus credit note has none.
        if not vals["vals"]["payment_means_vals_list"]:
            vals = {
                **vals,
                "vals": {**vals["vals"], "payment_means_vals_list": [{"payment_means_code": None}]},
            }
        return super()._invoice_constraints_cen_en16931_ubl(invoice, vals)

    def _invoice_constraints_peppol_en16931_ubl(self, invoice, vals):
        # OVERRIDES account.edi.xml.ubl_bis3: Peppol rules (buyer or order reference,
        # NL/NO national rules) do not apply to a Chorus Pro deposit; the Chorus
        # directory rules replace them.
        return {}
