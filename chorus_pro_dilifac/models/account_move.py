from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..lib.chorus_status import ATTENTION, EDITABLE, STATES, event_order
from ..lib.codes import CADRES, PAYMENT_MEANS, market_number_from_text, recipient_gln

# The one state an accountant reads (lib/chorus_status.py); the raw code stays beside it.
CHORUS_STATES = list(STATES)


class AccountMove(models.Model):
    _inherit = "account.move"

    # Fields of l10n_fr_facturx_chorus_pro, filled from the usual places.
    buyer_reference = fields.Char(
        string="Service code",
        compute="_compute_buyer_reference",
        store=True,
        readonly=False,
    )
    purchase_order_reference = fields.Char(
        string="Engagement number",
        compute="_compute_purchase_order_reference",
        store=True,
        readonly=False,
    )
    contract_reference = fields.Char(
        string="Market number",
        compute="_compute_contract_reference",
        store=True,
        readonly=False,
    )
    # What was last filled in automatically, to tell it from a typed value.
    chorus_auto_service_code = fields.Char(
        string="Service code filled in", compute="_compute_buyer_reference", store=True
    )
    chorus_auto_engagement = fields.Char(
        string="Engagement number filled in",
        compute="_compute_purchase_order_reference",
        store=True,
    )
    chorus_auto_market = fields.Char(
        string="Market number filled in", compute="_compute_contract_reference", store=True
    )
    chorus_cadre = fields.Selection(
        CADRES,
        string="Cadre de facturation",
        default="A1",
        help="A1 for a plain supplier invoice; A2 when it is already paid.",
    )
    chorus_payment_means = fields.Selection(
        PAYMENT_MEANS,
        string="Payment means",
        compute="_compute_chorus_payment_means",
        store=True,
        readonly=False,
        precompute=True,
    )
    chorus_state = fields.Selection(
        CHORUS_STATES,
        string="Chorus Pro state",
        compute="_compute_chorus_state",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        tracking=True,
        index="btree_not_null",
    )
    chorus_status_code = fields.Char(string="Last event code", copy=False, readonly=True)
    chorus_status_date = fields.Datetime(string="Status date", copy=False, readonly=True)
    chorus_invoice_id = fields.Char(string="Chorus Pro invoice id", copy=False, readonly=True)
    chorus_flow_number = fields.Char(string="Flow number", copy=False, readonly=True)
    chorus_flow_status = fields.Char(string="Flow status", copy=False, readonly=True)
    chorus_transport = fields.Selection(related="company_id.chorus_transport", string="Transport")
    chorus_sent_transport = fields.Char(copy=False, readonly=True)
    chorus_sent_on = fields.Datetime(string="Sent on", copy=False, readonly=True)
    chorus_polled_on = fields.Datetime(
        copy=False, readonly=True, help="Last time Chorus Pro was asked for this invoice's status."
    )
    chorus_send_started_on = fields.Datetime(
        copy=False,
        readonly=True,
        help="Set just before the document leaves Odoo: an invoice still 'being sent' "
        "after a failure is looked up on the other side before anything is sent again.",
    )
    chorus_sent_filename = fields.Char(string="Sent file", copy=False, readonly=True)
    chorus_sent_attachment_id = fields.Many2one(
        "ir.attachment", string="Transmitted document", copy=False, readonly=True
    )
    chorus_sent_checksum = fields.Char(
        string="Transmitted document SHA-256", copy=False, readonly=True
    )
    chorus_attempt = fields.Integer(string="Sending attempt", copy=False, readonly=True)
    chorus_error_code = fields.Char(string="Error code", copy=False, readonly=True)
    # The buyer's reason (to recycle, suspended, rejected) or what went wrong (error).
    chorus_error_message = fields.Text(string="Reason", copy=False, readonly=True)
    chorus_history_ids = fields.One2many(
        "chorus.pro.history", "move_id", string="Chorus Pro history", copy=False
    )
    chorus_routing_editable = fields.Boolean(
        compute="_compute_chorus_routing_editable",
        help="Nothing valid has left Odoo yet: the routing data may still change.",
    )
    # Billed by / billed to, shown on the invoice's Chorus Pro tab.
    chorus_company_siret = fields.Char(related="company_id.siret", string="Company SIRET")
    chorus_company_gln = fields.Char(related="company_id.chorus_dilifac_gln")
    chorus_bank_account_id = fields.Many2one(related="company_id.chorus_bank_account_id")
    chorus_buyer_siret = fields.Char(related="commercial_partner_id.siret", string="Buyer SIRET")
    chorus_buyer_debtor_type = fields.Selection(
        related="commercial_partner_id.chorus_debtor_type", string="Buyer debtor type"
    )
    chorus_buyer_gln = fields.Char(compute="_compute_chorus_buyer_gln", string="Buyer GLN")

    def _chorus_autofill(self, field, tracker, proposal):
        """Fill ``field`` with ``proposal`` unless the user typed another value.

        Service code, engagement and market numbers follow their source (customer,
        customer reference, note) until the user types something else, and are frozen
        once the invoice has left; ``tracker`` remembers what was filled in, so that a
        corrected reference replaces a stale engagement number but never a typed one.
        """
        self.ensure_one()
        current = self[field] or False
        editable = self.is_sale_document() and self.chorus_state in EDITABLE + (False,)
        if editable and (not current or current == (self[tracker] or False)):
            self[field] = self[tracker] = proposal or False
        else:
            self[field] = current
            self[tracker] = self[tracker]

    @api.depends("partner_id")
    def _compute_buyer_reference(self):
        for move in self:
            code = move.partner_id._chorus_effective_service_code() if move.partner_id else False
            move._chorus_autofill("buyer_reference", "chorus_auto_service_code", code)

    @api.depends("ref")
    def _compute_purchase_order_reference(self):
        for move in self:
            move._chorus_autofill("purchase_order_reference", "chorus_auto_engagement", move.ref)

    @api.depends("narration")
    def _compute_contract_reference(self):
        for move in self:
            market = market_number_from_text(html2plaintext(move.narration or ""))
            move._chorus_autofill("contract_reference", "chorus_auto_market", market)

    @api.depends("invoice_payment_term_id")
    def _compute_chorus_payment_means(self):
        for move in self:
            move.chorus_payment_means = (
                move.invoice_payment_term_id.chorus_payment_means
                or move.chorus_payment_means
                or "30"
            )

    @api.depends("partner_id", "move_type", "company_id")
    def _compute_chorus_state(self):
        for move in self:
            if move.chorus_state not in ("not_concerned", "to_transmit", False):
                continue  # a transport owns the state from the first sending on
            partner = move.partner_id.commercial_partner_id.with_company(move.company_id)
            concerned = (
                move.move_type in ("out_invoice", "out_refund")
                and partner.invoice_sending_method == "chorus_pro"
            )
            move.chorus_state = "to_transmit" if concerned else "not_concerned"

    @api.depends("commercial_partner_id.chorus_debtor_type", "commercial_partner_id.chorus_gln")
    def _compute_chorus_buyer_gln(self):
        for move in self:
            partner = move.commercial_partner_id
            move.chorus_buyer_gln = recipient_gln(partner.chorus_debtor_type, partner.chorus_gln)

    @api.depends("chorus_state")
    def _compute_chorus_routing_editable(self):
        for move in self:
            move.chorus_routing_editable = move.chorus_state in EDITABLE + (False,)

    def _chorus_check_not_transmitted(self):
        """A transmitted invoice is the fiscal original on the other side: it is corrected
        by a credit note (or recycled), never by editing it in Odoo."""
        transmitted = self.filtered(lambda m: m.chorus_state not in EDITABLE + ("cancelled", False))
        if transmitted:
            raise UserError(
                _(
                    "%(invoices)s already left for Chorus Pro (%(state)s): issue a credit note "
                    "instead of resetting or cancelling it.",
                    invoices=", ".join(transmitted.mapped("name")),
                    state=transmitted[0]
                    ._fields["chorus_state"]
                    .convert_to_export(transmitted[0].chorus_state, transmitted[0]),
                )
            )

    def button_draft(self):
        self._chorus_check_not_transmitted()
        return super().button_draft()

    def button_cancel(self):
        self._chorus_check_not_transmitted()
        return super().button_cancel()

    # -- events ------------------------------------------------------------------------

    def _chorus_apply_event(
        self,
        source,
        code,
        label=None,
        date=None,
        comment=None,
        chorus_invoice_id=None,
        flow_number=None,
        event_key=None,
        state=None,
        error_code=None,
    ):
        """Record one event (a deposit, a flow report, a notification, a status) and derive
        the state from the history again.

        ``event_key`` names the event at its source: an event already recorded for this
        invoice is ignored entirely, so reading a notification or a status history twice
        changes nothing. ``state`` is what the event means for the invoice (None: it
        changes nothing). Returns the new history line, or None when it was a repeat.
        """
        self.ensure_one()
        if event_key and self.chorus_history_ids.filtered(lambda h: h.event_key == event_key):
            return None
        date = date or fields.Datetime.now()
        sent_on = self.chorus_sent_on
        if (
            source not in ("odoo", "portal")
            and sent_on
            and sent_on.replace(second=0, microsecond=0) <= date < sent_on
        ):
            # Chorus Pro and Dilifac write their times to the minute: an answer within the
            # minute of the sending would otherwise read as older than the sending itself.
            # Any other date is kept as given (a payment dated before the sending is shown).
            date = sent_on
        # History is written by the transports only (sudo): a user-made line with a
        # forged event_key would make the real event look like a repeat.
        line = (
            self.env["chorus.pro.history"]
            .sudo()
            .create(
                {
                    "move_id": self.id,
                    "source": source,
                    "code": _no_nul(code),
                    "label": _no_nul(label or code),
                    "date": date,
                    "comment": _no_nul(comment),
                    "chorus_invoice_id": _no_nul(chorus_invoice_id),
                    "flow_number": _no_nul(flow_number),
                    "attempt": self.chorus_attempt,
                    "event_key": event_key,
                    "state": state or False,
                    "error_code": _no_nul(error_code),
                }
            )
        )
        vals = {}
        if chorus_invoice_id:
            vals["chorus_invoice_id"] = _no_nul(str(chorus_invoice_id))
        decisive = self._chorus_state_line()
        if decisive:
            needs_human = decisive.state in ATTENTION
            vals.update(
                chorus_state=decisive.state,
                chorus_status_code=decisive.code,
                chorus_status_date=decisive.date,
                chorus_error_code=(decisive.error_code or decisive.code) if needs_human else False,
                chorus_error_message=decisive.comment if needs_human else False,
            )
        if code == "MISE_EN_PAIEMENT":
            vals["chorus_paid_on"] = line.date
        self.write(vals)
        return line

    def _chorus_state_line(self):
        """The history line the state comes from, or None (the state is left as it is).

        Odoo's own events (sent, sending failed, recycled, not found...) each start a new
        stretch; within it, the newest event from the other side wins (by date, then by
        the life cycle: lib.chorus_status.event_order). So the state depends on what
        happened, never on the order notifications were read in.
        """
        self.ensure_one()
        lines = self.chorus_history_ids.filtered(
            lambda h: h.state and h.attempt == self.chorus_attempt
        )
        ours = lines.filtered(lambda h: h.source == "odoo")
        base = max(ours, key=lambda h: h.id, default=None)
        theirs = lines.filtered(lambda h: h.source != "odoo" and (not base or h.id > base.id))
        if theirs:
            return max(
                theirs, key=lambda h: (*event_order(h.date, h.state, h.code, h.event_key), h.id)
            )
        return base


def _no_nul(value):
    """PostgreSQL refuses NUL in text: what the other side sent is stored without it."""
    return value.replace("\x00", "") if isinstance(value, str) else value
