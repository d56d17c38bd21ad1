from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.chorus_status import INVOICE_STATUSES, chorus_invoice_state

# What the portal shows a supplier for an invoice, in life-cycle order (chorus-pro.md §4.2).
PORTAL_STATUSES = [
    "DEPOSEE",
    "MISE_A_DISPOSITION",
    "A_RECYCLER",
    "SUSPENDUE",
    "COMPLETEE",
    "REJETEE",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
]


class ChorusPortalStatus(models.TransientModel):
    """Record what the Chorus Pro portal shows for an invoice uploaded there by hand,
    when Odoo cannot ask Chorus Pro itself (no API credentials). It writes a history line
    like a status read through the API: the invoice's state follows from it, and is
    never edited by hand."""

    _name = "chorus.portal.status"
    _description = "Record the status shown on the Chorus Pro portal"

    move_id = fields.Many2one("account.move", required=True, readonly=True, ondelete="cascade")
    portal_url = fields.Char(related="move_id.chorus_portal_url")
    status = fields.Selection(
        [(code, INVOICE_STATUSES[code]) for code in PORTAL_STATUSES],
        string="Status on the portal",
        required=True,
    )
    date = fields.Datetime(string="Status date", required=True, default=fields.Datetime.now)
    comment = fields.Text(help="The buyer's reason, as the portal shows it.")

    @api.constrains("date")
    def _check_date(self):
        for wizard in self:
            if wizard.date > fields.Datetime.now():
                raise UserError(
                    _(
                        "%s: the status date cannot be in the future (field 'Status date').",
                        wizard.move_id.name,
                    )
                )

    def action_record(self):
        self.ensure_one()
        move = self.move_id
        if move.chorus_sent_transport != "portal":
            raise UserError(
                _(
                    "%s was not uploaded on the portal by hand: its status comes by itself.",
                    move.name,
                )
            )
        if self.status in ("REJETEE", "SUSPENDUE") and not (self.comment or "").strip():
            raise UserError(
                _("%s: type the buyer's reason shown on the portal (field 'Comment').", move.name)
            )
        move._chorus_apply_event(
            "portal",
            self.status,
            INVOICE_STATUSES[self.status],
            date=self.date,
            comment="\n".join(
                part for part in (_("Recorded from the Chorus Pro portal."), self.comment) if part
            ),
            state=chorus_invoice_state(self.status),
        )
        return {"type": "ir.actions.act_window_close"}
