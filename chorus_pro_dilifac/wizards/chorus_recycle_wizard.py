from odoo import _, api, fields, models
from odoo.exceptions import UserError
from stdnum.fr import siret as stdnum_siret

from ..lib.errors import TransportError


class ChorusRecycleWizard(models.TransientModel):
    """Answer an invoice Chorus Pro sent back as 'to recycle' (A_RECYCLER): the routing
    data were wrong; the invoice goes again under the same number."""

    _name = "chorus.recycle.wizard"
    _description = "Recycle a Chorus Pro invoice"

    move_id = fields.Many2one("account.move", required=True, readonly=True, ondelete="cascade")
    transport = fields.Char(related="move_id.chorus_sent_transport")
    buyer_reason = fields.Text(related="move_id.chorus_error_message", string="Buyer's reason")
    buyer_siret = fields.Char(
        string="Buyer SIRET",
        compute="_compute_from_move",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        help="A different SIRET is also corrected on the customer: it was wrong there.",
    )
    service_code = fields.Char(
        compute="_compute_from_move", store=True, readonly=False, precompute=True
    )
    engagement_number = fields.Char(
        compute="_compute_from_move", store=True, readonly=False, precompute=True
    )
    comment = fields.Char(help="Sent to Chorus Pro with the corrected routing.")

    @api.depends("move_id")
    def _compute_from_move(self):
        for wizard in self:
            move = wizard.move_id
            wizard.buyer_siret = move.commercial_partner_id.siret
            wizard.service_code = move.buyer_reference
            wizard.engagement_number = move.purchase_order_reference

    def action_recycle(self):
        self.ensure_one()
        move = self.move_id
        if move.chorus_state != "to_recycle":
            raise UserError(_("%s is not waiting to be recycled.", move.name))
        siret = stdnum_siret.compact(self.buyer_siret or "")
        if not stdnum_siret.is_valid(siret):
            raise UserError(_("%s is not a valid SIRET.", self.buyer_siret))
        service_code = (self.service_code or "").strip() or False
        engagement = (self.engagement_number or "").strip() or False
        changes = _(
            "SIRET %(siret)s, service code %(service)s, engagement number %(engagement)s",
            siret=siret,
            service=service_code or "-",
            engagement=engagement or "-",
        )
        if self.comment:
            changes = f"{changes}\n{self.comment}"
        if move.chorus_sent_transport == "api":
            try:
                move.company_id._chorus_api_client().recycle(
                    int(move.chorus_invoice_id),
                    siret,
                    service_code=service_code,
                    engagement_number=engagement,
                    comment=self.comment or "",
                )
            except TransportError as error:
                raise UserError(_("Chorus Pro refused the recycling: %s", error)) from None
        self._write_corrections(siret, service_code, engagement)
        if move.chorus_sent_transport == "api":
            # Back to DEPOSEE on Chorus Pro; the status polling follows it from there.
            move._chorus_apply_event(
                "odoo", "RECYCLED", _("Recycled with corrected routing"), comment=changes,
                state="integrated",
            )
        else:
            # Dilifac has no recycling: the corrected invoice is sent again, as a new file.
            move._chorus_apply_event(
                "odoo", "RECYCLED", _("Corrected, sent again through Dilifac"), comment=changes
            )
            move.chorus_state = "error"
            failures = move._chorus_send()
            if failures:
                raise UserError("\n".join(failures[move]))
        move._chorus_close_alert(_("Recycled: %s", changes))
        return {"type": "ir.actions.act_window_close"}

    def _write_corrections(self, siret, service_code, engagement):
        move = self.move_id
        partner = move.commercial_partner_id
        if siret != partner.siret:
            # The directory data belonged to the wrong SIRET.
            partner.write({"siret": siret, **partner._chorus_directory_reset_values()})
        move.write({"buyer_reference": service_code, "purchase_order_reference": engagement})
