from odoo import _, fields, models
from odoo.exceptions import UserError

from ..lib.errors import TransportError


class ChorusRejectionWizard(models.TransientModel):
    """Settle an invoice the buyer rejected (REJETEE, final): the AIFE way is a credit
    note for the full amount plus a new invoice, so no partial credit note is offered."""

    _name = "chorus.rejection.wizard"
    _inherit = ["chorus.corrective.action"]
    _description = "Process a rejected Chorus Pro invoice"

    acknowledged_on_portal = fields.Boolean(
        string="Rejection acknowledged on the portal",
        help="Tick once the rejection was acknowledged on the Chorus Pro portal: it is "
        "recorded in the invoice's history.",
    )

    def _portal_step_list(self):
        return [
            self._html(
                _("Choose the action 'Traiter le rejet' (the reason given: %(reason)s)."),
                reason=self._bold((self.buyer_reason or "").rstrip(" .") or _("no reason given")),
            ),
            self._html(
                _("Confirm on the portal, then tick 'Rejection acknowledged on the portal'.")
            ),
        ]

    def action_process(self):
        """Full credit note (posted and sent), rejection acknowledged, draft copy opened."""
        self.ensure_one()
        move = self.move_id
        if move.chorus_state != "rejected" or move.payment_state == "reversed":
            raise UserError(_("%s has no rejection left to process.", move.name))
        reason = move.chorus_error_message or _("no reason given")
        references = {
            "buyer_reference": move.buyer_reference,
            "purchase_order_reference": move.purchase_order_reference,
            "contract_reference": move.contract_reference,
        }
        today = fields.Date.context_today(self)
        credit_note = move._reverse_moves(
            [
                {
                    **references,
                    "ref": move.purchase_order_reference,
                    "narration": _(
                        "Cancels invoice %(invoice)s, rejected on Chorus Pro: %(reason)s",
                        invoice=move.name,
                        reason=reason,
                    ),
                    "date": today,
                    "invoice_date": today,
                    "invoice_date_due": today,
                    "invoice_payment_term_id": False,
                    "invoice_user_id": move.invoice_user_id.id,
                }
            ],
            cancel=True,
        )
        if self.mode == "portal" and self.acknowledged_on_portal:
            self._chorus_record_portal_action(
                "REJECTION_ACKNOWLEDGED", _("Rejection acknowledged on the Chorus Pro portal"), ""
            )
        elif self.mode == "api" and self.api_available:
            # The acknowledgement only tells Chorus Pro the rejection was seen: a failure
            # (or an earlier acknowledgement whose answer was lost) must not block the
            # credit note, it is recorded for the user to acknowledge on the portal.
            try:
                move.company_id._chorus_api_client().acknowledge_rejection(
                    int(move.chorus_invoice_id), reason
                )
            except TransportError as error:
                move._chorus_apply_event(
                    "odoo",
                    "REJECTION_NOT_ACKNOWLEDGED",
                    _("Rejection not acknowledged on Chorus Pro"),
                    comment=_("%s. Acknowledge it on the Chorus Pro portal.", error),
                )
            else:
                move._chorus_apply_event(
                    "odoo",
                    "REJECTION_ACKNOWLEDGED",
                    _("Rejection acknowledged on Chorus Pro"),
                    event_key=f"rejection_acknowledged:{move.chorus_invoice_id}",
                )
        new_invoice = move.copy({**references, "ref": move.ref})
        move._chorus_apply_event(
            "odoo",
            "REJECTION_PROCESSED",
            _("Rejection processed"),
            comment=_(
                "Credit note %(credit_note)s issued for the full amount; a corrected copy was "
                "drafted to be sent as a new invoice.",
                credit_note=credit_note.name,
            ),
        )
        move._chorus_close_alert(_("Credit note %s issued", credit_note.name))
        failures = credit_note._chorus_send()
        if failures:
            credit_note.message_post(
                body=_(
                    "Chorus Pro: the credit note was not sent: %s",
                    "\n".join(failures[credit_note]),
                )
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "view_mode": "form",
            "res_id": new_invoice.id,
            "context": {"default_move_type": new_invoice.move_type},
        }
