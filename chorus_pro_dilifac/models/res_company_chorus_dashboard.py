from odoo import _, fields, models
from odoo.exceptions import UserError

from ..lib.chorus_status import AWAITING

# The dashboard's numbers: each is a list of invoices one click away. "attention" is
# what a person must act on (chorus_needs_attention: refused, rejected, suspended, to
# recycle, or no news for two days); the others follow the invoice's way to payment.
DELIVERED = ("made_available", "service_done", "mandated")
BUCKETS = {
    "to_transmit": [("chorus_state", "=", "to_transmit")],
    "awaiting": [("chorus_state", "in", AWAITING)],
    "delivered": [("chorus_state", "in", DELIVERED)],
    "paid": [("chorus_state", "=", "paid")],
    "attention": [("chorus_needs_attention", "=", True)],
}


class ResCompany(models.Model):
    """The Chorus Pro dashboard is one card per company: the number of invoices that
    need attention in large, without opening any filter, then the invoices on their
    way, each number opening its list."""

    _inherit = "res.company"

    chorus_count_attention = fields.Integer(
        string="Invoices needing attention", compute="_compute_chorus_dashboard"
    )
    chorus_count_to_transmit = fields.Integer(
        string="Invoices to transmit", compute="_compute_chorus_dashboard"
    )
    chorus_count_awaiting = fields.Integer(
        string="Invoices awaiting an answer", compute="_compute_chorus_dashboard"
    )
    chorus_count_delivered = fields.Integer(
        string="Invoices made available", compute="_compute_chorus_dashboard"
    )
    chorus_count_paid = fields.Integer(string="Invoices paid", compute="_compute_chorus_dashboard")
    chorus_average_days_to_payment = fields.Float(
        string="Average days to payment",
        digits=(16, 1),
        compute="_compute_chorus_dashboard",
        help="From the deposit on Chorus Pro to the payment, paid invoices only.",
    )

    def _chorus_dashboard_domain(self, bucket):
        return [
            ("company_id", "=", self.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            *BUCKETS[bucket],
        ]

    def _compute_chorus_dashboard(self):
        Move = self.env["account.move"]
        Delay = self.env["chorus.pro.payment.delay"]
        for company in self:
            if not company.id:
                for bucket in BUCKETS:
                    company[f"chorus_count_{bucket}"] = 0
                company.chorus_average_days_to_payment = 0.0
                continue
            for bucket in BUCKETS:
                company[f"chorus_count_{bucket}"] = Move.search_count(
                    company._chorus_dashboard_domain(bucket)
                )
            rows = Delay.search([("company_id", "=", company.id), ("dimension", "=", "buyer")])
            paid = sum(rows.mapped("invoice_count"))
            company.chorus_average_days_to_payment = (
                sum(r.average_days * r.invoice_count for r in rows) / paid if paid else 0.0
            )

    def action_chorus_dashboard_open(self):
        """A number of the dashboard, clicked: its invoices (bucket in the context)."""
        self.ensure_one()
        bucket = self.env.context.get("chorus_bucket")
        if bucket == "all":
            return self.env["ir.actions.act_window"]._for_xml_id(
                "chorus_pro_dilifac.action_chorus_dashboard"
            )
        if bucket not in BUCKETS:
            raise UserError(_("Unknown list of the Chorus Pro dashboard: %s", bucket))
        if bucket == "attention":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "chorus_pro_dilifac.action_chorus_needs_attention"
            )
            # The filter stays visible (and removable) in the search bar.
            action["domain"] = [
                ("company_id", "=", self.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
            ]
        else:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "chorus_pro_dilifac.action_chorus_dashboard"
            )
            action["domain"] = self._chorus_dashboard_domain(bucket)
            # One list, not grouped by state as "all" is.
            action["context"] = {"default_move_type": "out_invoice"}
            action["name"] = self._fields[f"chorus_count_{bucket}"]._description_string(self.env)
        return action
