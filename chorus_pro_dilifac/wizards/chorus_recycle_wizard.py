from odoo import _, api, fields, models
from odoo.exceptions import UserError
from stdnum.fr import siret as stdnum_siret

from ..lib.errors import TransportError


class ChorusRecycleWizard(models.TransientModel):
    """Answer an invoice Chorus Pro sent back as 'to recycle' (A_RECYCLER): the routing
    data were wrong; Chorus Pro takes the same invoice back with the corrected routing.

    Never by depositing it again: Chorus Pro refuses a second invoice with the same
    number as a duplicate. Through the API when the company has credentials, otherwise
    on the portal by hand, then confirmed here."""

    _name = "chorus.recycle.wizard"
    _inherit = ["chorus.corrective.action"]
    _description = "Recycle a Chorus Pro invoice"

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
        string="Engagement number",
        compute="_compute_from_move",
        store=True,
        readonly=False,
        precompute=True,
    )
    comment = fields.Char(help="Sent to Chorus Pro with the corrected routing.")

    @api.depends("move_id")
    def _compute_from_move(self):
        for wizard in self:
            move = wizard.move_id
            wizard.buyer_siret = move.commercial_partner_id.siret
            wizard.service_code = move.buyer_reference
            wizard.engagement_number = move.purchase_order_reference

    @api.depends("buyer_siret", "service_code", "engagement_number")
    def _compute_portal_steps(self):
        return super()._compute_portal_steps()

    def _portal_step_list(self):
        return [
            self._html(
                _(
                    "Choose the action 'Recycler' and type: buyer SIRET %(siret)s, service "
                    "code %(service)s, engagement number %(engagement)s."
                ),
                siret=self._bold(stdnum_siret.compact(self.buyer_siret or "")),
                service=self._bold(self.service_code or _("(leave empty)")),
                engagement=self._bold(self.engagement_number or _("(leave empty)")),
            ),
            self._html(_("Confirm on the portal, then click 'Recycled on the portal' here.")),
        ]

    def _checked_values(self):
        move = self.move_id
        if move.chorus_state != "to_recycle":
            raise UserError(_("%s is not waiting to be recycled.", move.name))
        siret = stdnum_siret.compact(self.buyer_siret or "")
        if not stdnum_siret.is_valid(siret):
            raise UserError(
                _(
                    "%(invoice)s: %(siret)s is not a valid SIRET (field 'Buyer SIRET').",
                    invoice=move.name,
                    siret=self.buyer_siret,
                )
            )
        service_code = (self.service_code or "").strip() or False
        engagement = (self.engagement_number or "").strip() or False
        unchanged = (
            siret == stdnum_siret.compact(move.commercial_partner_id.siret or "")
            and service_code == (move.buyer_reference or False)
            and engagement == (move.purchase_order_reference or False)
        )
        if unchanged:
            # Chorus Pro sends the same routing back again: the buyer asked for another one.
            raise UserError(
                _(
                    "%(invoice)s: nothing was corrected. The buyer asked for another routing "
                    "(%(reason)s): change the buyer SIRET, the service code or the engagement "
                    "number before recycling.",
                    invoice=move.name,
                    reason=(self.buyer_reason or "").rstrip(" .") or _("no reason given"),
                )
            )
        changes = _(
            "SIRET %(siret)s, service code %(service)s, engagement number %(engagement)s",
            siret=siret,
            service=service_code or "-",
            engagement=engagement or "-",
        )
        if self.comment:
            changes = f"{changes}\n{self.comment}"
        return siret, service_code, engagement, changes

    def action_recycle(self):
        """Through the API: Chorus Pro takes the invoice back (DEPOSEE)."""
        self.ensure_one()
        move = self.move_id
        siret, service_code, engagement, changes = self._checked_values()
        if not self.api_available:
            raise UserError(
                _(
                    "%s: recycle it on the Chorus Pro portal, then confirm here: this company "
                    "has no Chorus Pro API access for it.",
                    move.name,
                )
            )
        try:
            move.company_id._chorus_api_client().recycle(
                int(move.chorus_invoice_id),
                siret,
                service_code=service_code,
                engagement_number=engagement,
                comment=self.comment or "",
            )
        except TransportError as error:
            raise UserError(
                _(
                    "%(invoice)s: Chorus Pro refused the recycling: %(error)s",
                    invoice=move.name,
                    error=error,
                )
            ) from None
        self._write_corrections(siret, service_code, engagement)
        # Back to DEPOSEE on Chorus Pro; the status follow-up goes on from there.
        move._chorus_apply_event(
            "odoo",
            "RECYCLED",
            _("Recycled with corrected routing"),
            comment=changes,
            state="integrated",
        )
        move._chorus_close_alert(_("Recycled: %s", changes))
        return {"type": "ir.actions.act_window_close"}

    def action_confirm_portal(self):
        """The user recycled the invoice on the portal: record it, nothing is sent."""
        self.ensure_one()
        siret, service_code, engagement, changes = self._checked_values()
        self._write_corrections(siret, service_code, engagement)
        self._chorus_record_portal_action(
            "RECYCLED", _("Recycled on the Chorus Pro portal"), changes, state="integrated"
        )
        self.move_id._chorus_close_alert(_("Recycled on the portal: %s", changes))
        return {"type": "ir.actions.act_window_close"}

    def _write_corrections(self, siret, service_code, engagement):
        move = self.move_id
        partner = move.commercial_partner_id
        if siret != partner.siret:
            # The directory data belonged to the wrong SIRET: write() clears them and
            # has the new one checked.
            partner.write({"siret": siret})
        # The routing fields are frozen once sent; the corrected routing is the invoice's.
        move.write({"buyer_reference": service_code, "purchase_order_reference": engagement})
