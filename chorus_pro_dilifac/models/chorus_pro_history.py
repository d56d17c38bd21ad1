from odoo import api, fields, models

from ..lib.chorus_status import STATES, history_rank

HISTORY_SOURCES = [
    ("odoo", "Odoo"),
    ("dilifac", "Dilifac"),
    ("chorus_flow", "Chorus Pro flow"),
    ("chorus_invoice", "Chorus Pro invoice"),
    ("portal", "Chorus Pro portal (recorded by hand)"),
]


class ChorusProHistory(models.Model):
    """One event in the life of an invoice on its way to a public buyer: a deposit, a
    flow report, a Dilifac notification, a Chorus Pro status change. Never rewritten:
    the invoice's state is derived from these lines (``account.move._chorus_state_line``),
    so reading the same events in another order gives the same state."""

    _name = "chorus.pro.history"
    _description = "Chorus Pro invoice history"
    # Lines of the same date (Chorus Pro and Dilifac write minutes) in life-cycle order,
    # whatever order they were read in.
    _order = "date desc, rank desc, id desc"

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True)
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", store=True, string="Customer"
    )
    move_chorus_state = fields.Selection(
        related="move_id.chorus_state", string="Invoice's Chorus Pro state", store=True
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    source = fields.Selection(HISTORY_SOURCES, required=True)
    code = fields.Char(help="The raw code as Chorus Pro or Dilifac sent it.")
    label = fields.Char()
    comment = fields.Text(help="Reason given by the buyer, error text, or note.")
    chorus_invoice_id = fields.Char(string="Chorus Pro invoice id")
    flow_number = fields.Char(string="Flow number")
    state = fields.Selection(
        list(STATES), string="Resulting state", help="The invoice state this event means, if any."
    )
    error_code = fields.Char()
    rank = fields.Integer(
        compute="_compute_rank", store=True, help="Life-cycle order among same-dated lines."
    )
    attempt = fields.Integer(help="Which sending of the invoice this event belongs to.")
    event_key = fields.Char(
        index=True,
        copy=False,
        help="Identifies the notification this line comes from, so that reading it "
        "twice does not add a second line.",
    )

    _sql_constraints = [
        (
            "event_key_unique",
            "unique(move_id, event_key)",
            "This notification is already in the invoice's history.",
        ),
    ]

    @api.depends("source", "state", "code")
    def _compute_rank(self):
        for line in self:
            line.rank = history_rank(line.source, line.state, line.code)
