from odoo import api, fields, models, tools
from odoo.tools.misc import format_date

DIMENSIONS = [("buyer", "Per buyer"), ("month", "Per month")]


class ChorusProPaymentDelay(models.Model):
    """Days from the deposit on Chorus Pro to the payment, per buyer and per month, for
    paid invoices only: an unpaid invoice has no delay yet, and a payment dated before
    the deposit is shown as it is (negative), not hidden.

    A SQL view, because the median is not something the ORM's groupings compute."""

    _name = "chorus.pro.payment.delay"
    _description = "Chorus Pro days to payment"
    _auto = False
    # Read from account_move: flushed before each search on this view.
    _depends = {
        "account.move": [
            "company_id",
            "commercial_partner_id",
            "chorus_paid_on",
            "chorus_sent_on",
            "move_type",
        ],
    }
    _order = "dimension, month desc, average_days desc"

    dimension = fields.Selection(DIMENSIONS, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Buyer", readonly=True)
    month = fields.Date(string="Month paid", readonly=True)
    month_label = fields.Char(string="Month", compute="_compute_month_label")
    invoice_count = fields.Integer(string="Paid invoices", readonly=True)
    average_days = fields.Float(string="Average days", digits=(16, 1), readonly=True)
    median_days = fields.Float(string="Median days", digits=(16, 1), readonly=True)
    longest_days = fields.Float(string="Longest", digits=(16, 1), readonly=True)

    @api.depends("month")
    @api.depends_context("lang")
    def _compute_month_label(self):
        """'octobre 2026', in the user's language: the month's first day, as a date, read
        as the payment date of a single invoice."""
        for row in self:
            row.month_label = row.month and format_date(self.env, row.month, date_format="MMMM y")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # chorus_paid_on and chorus_sent_on are UTC timestamps; the month is Paris time.
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS
            WITH paid AS (
                SELECT m.company_id,
                       m.commercial_partner_id AS partner_id,
                       date_trunc('month', m.chorus_paid_on AT TIME ZONE 'UTC'
                                  AT TIME ZONE 'Europe/Paris')::date AS month,
                       EXTRACT(EPOCH FROM m.chorus_paid_on - m.chorus_sent_on) / 86400.0 AS days
                  FROM account_move m
                 WHERE m.chorus_paid_on IS NOT NULL
                   AND m.chorus_sent_on IS NOT NULL
                   AND m.move_type = 'out_invoice'
            ), grouped AS (
                SELECT 'buyer' AS dimension, company_id, partner_id, NULL::date AS month,
                       COUNT(*) AS invoice_count, AVG(days) AS average_days,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median_days,
                       MAX(days) AS longest_days
                  FROM paid GROUP BY company_id, partner_id
                 UNION ALL
                SELECT 'month', company_id, NULL::integer, month,
                       COUNT(*), AVG(days),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
                       MAX(days)
                  FROM paid GROUP BY company_id, month
            )
            SELECT row_number() OVER (ORDER BY dimension, company_id, partner_id, month) AS id,
                   *
              FROM grouped
            """
        )
