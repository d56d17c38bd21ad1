import base64

from odoo import models

from ..lib.codes import CREDIT_TRANSFER_CODES, SYNTAX_UBL, recipient_gln
from ..lib.filenames import chorus_file_name

EN16931_CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017"
GLN_SCHEME = "0088"
SIRET_EAS = "0009"


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
        """SIRET as PartyIdentification with the company's scheme, and the endpoint:
        the Dilifac routing GLNs, else what bis3 found, else the SIRET (0009)."""
        company = invoice.company_id
        commercial = partner.commercial_partner_id
        vals = {
            "party_identification_vals": [
                {"id": commercial.siret, "id_attrs": {"schemeID": company.chorus_siret_scheme}}
            ]
            if commercial.siret
            else [],
        }
        if self.env.context.get("chorus_dilifac"):
            gln = (
                company.chorus_dilifac_gln
                if role == "supplier"
                else recipient_gln(commercial.chorus_debtor_type, commercial.chorus_gln)
            )
            vals.update({"endpoint_id": gln, "endpoint_id_attrs": {"schemeID": GLN_SCHEME}})
        elif not (commercial.peppol_eas and commercial.peppol_endpoint) and commercial.siret:
            # An electronic address (BT-34/BT-49) needs its scheme: the SIRET is France's.
            vals.update(
                {"endpoint_id": commercial.siret, "endpoint_id_attrs": {"schemeID": SIRET_EAS}}
            )
        return vals

    def _get_partner_party_tax_scheme_vals_list(self, partner, role):
        # EXTENDS account.edi.xml.ubl_bis3
        # bis3 fills a PartyTaxScheme with the Peppol address of a party without VAT
        # number (most public buyers): that is no VAT identifier (BT-48), so leave it out.
        if not partner.vat:
            return []
        return super()._get_partner_party_tax_scheme_vals_list(partner, role)

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
