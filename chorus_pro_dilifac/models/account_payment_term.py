from odoo import fields, models

from ..lib.codes import PAYMENT_MEANS


class AccountPaymentTerm(models.Model):
    _inherit = "account.payment.term"

    chorus_payment_means = fields.Selection(
        PAYMENT_MEANS,
        string="Chorus payment means",
        default="30",
        help="UNTDID 4461 payment means code written in invoices sent to Chorus Pro "
        "with these terms. Credit transfer codes need the company's IBAN.",
    )
