from odoo import api, fields, models

from ..lib.codes import VATEX_CATEGORY, VATEX_DEFAULT_TEXT, VATEX_SELECTION


class AccountTax(models.Model):
    """The VAT exemption reason (BT-120 text, BT-121 VATEX code) of a 0 % tax.

    Odoo writes one fixed EU-directive text for every exempt line; a French invoice
    must name its own legal ground (franchise, art. 261, export...), and the code sets
    the VAT category (BT-118) the rules expect with it.
    """

    _inherit = "account.tax"

    chorus_exemption_code = fields.Selection(
        VATEX_SELECTION,
        string="VAT exemption code",
        help="VATEX code written in e-invoices for lines with this 0 % tax (BT-121). "
        "It also sets the VAT category (exempt, intra-community, export...).",
    )
    chorus_exemption_reason = fields.Char(
        string="VAT exemption reason",
        help="Text written in e-invoices for lines with this 0 % tax (BT-120), "
        "e.g. 'TVA non applicable, art. 293 B du CGI'.",
    )

    @api.onchange("chorus_exemption_code")
    def _onchange_chorus_exemption_code(self):
        for tax in self:
            if tax.chorus_exemption_code and not tax.chorus_exemption_reason:
                tax.chorus_exemption_reason = VATEX_DEFAULT_TEXT[tax.chorus_exemption_code]

    def _chorus_exemption_unece_codes(self):
        """UNECE codes of an exempt tax with a reason, else None (Odoo's own guess)."""
        self.ensure_one()
        if self.amount or not self.chorus_exemption_code:
            return None
        code = self.chorus_exemption_code
        return {
            "tax_category_code": VATEX_CATEGORY[code],
            "tax_exemption_reason_code": code,
            "tax_exemption_reason": self.chorus_exemption_reason or VATEX_DEFAULT_TEXT[code],
        }
