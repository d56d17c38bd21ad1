"""Following Chorus Pro invoices until paid: alerts, links, payment delay, duplicata."""

import datetime
import logging

import psycopg2
from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.tools import SQL, format_datetime

from ..lib.chorus_status import ATTENTION, AWAITING, EDITABLE

_logger = logging.getLogger(__name__)

# Dilifac answers the next day from 10:00 and Chorus Pro within minutes: two days of
# silence after a sending means something was lost on the way.
NEWS_PATIENCE = datetime.timedelta(hours=48)
PORTAL_URLS = {
    "qualif": "https://chorus-pro.gouv.fr/qualif",
    "prod": "https://portail.chorus-pro.gouv.fr",
}


class AccountMove(models.Model):
    _inherit = "account.move"

    chorus_needs_attention = fields.Boolean(
        compute="_compute_chorus_needs_attention", search="_search_chorus_needs_attention"
    )
    chorus_news_overdue = fields.Boolean(
        string="No news for 48 h",
        compute="_compute_chorus_news_overdue",
        help="Sent more than 48 hours ago and neither Chorus Pro nor Dilifac has said "
        "anything about this sending since.",
    )
    chorus_alert_key = fields.Char(
        copy=False,
        readonly=True,
        help="The situation the last follow-up activity was created for: the daily "
        "check never creates a second one for the same situation.",
    )
    chorus_alert_activity_id = fields.Many2one(
        "mail.activity", copy=False, readonly=True, ondelete="set null"
    )
    chorus_paid_on = fields.Datetime(
        string="Paid on (Chorus Pro)",
        copy=False,
        readonly=True,
        help="When Chorus Pro reported the payment (MISE_EN_PAIEMENT).",
    )
    chorus_days_to_payment = fields.Float(
        string="Days from deposit to payment",
        compute="_compute_chorus_days_to_payment",
        store=True,
        # Unpaid invoices store 0: an average over invoices would count them. The
        # per-buyer and per-month figures are in chorus.pro.payment.delay (paid only).
        aggregator=None,
        digits=(16, 1),
    )
    chorus_debtor_type = fields.Selection(
        related="commercial_partner_id.chorus_debtor_type",
        string="Debtor type",
        store=True,
    )
    chorus_status_label = fields.Char(
        string="Last event",
        compute="_compute_chorus_status_label",
        help="What Chorus Pro, Dilifac or the portal last said, in words (the code is in "
        "the history).",
    )
    chorus_portal_url = fields.Char(string="Chorus Pro portal", compute="_compute_chorus_links")
    chorus_dilifac_url = fields.Char(string="Dilifac follow-up", compute="_compute_chorus_links")
    chorus_duplicata_date = fields.Date(
        compute="_compute_chorus_duplicata_date",
        help="Set once the invoice was dematerialised: every PDF printed from Odoo is then "
        "a duplicate, the fiscal original being the transmitted document.",
    )

    # -- computes ----------------------------------------------------------------------

    @api.depends(
        "chorus_state",
        "chorus_sent_on",
        "chorus_sent_transport",
        "chorus_attempt",
        "chorus_history_ids.source",
    )
    def _compute_chorus_news_overdue(self):
        limit = fields.Datetime.now() - NEWS_PATIENCE
        for move in self:
            move.chorus_news_overdue = bool(
                move.chorus_state in AWAITING
                # A portal upload has no channel back to Odoo: no news is expected.
                and move.chorus_sent_transport != "portal"
                and move.chorus_sent_on
                and move.chorus_sent_on <= limit
                and not any(
                    h.source != "odoo" and h.attempt == move.chorus_attempt
                    for h in move.chorus_history_ids
                )
            )

    @api.depends(
        "chorus_state",
        "chorus_sent_on",
        "chorus_attempt",
        "chorus_history_ids.source",
        "payment_state",
    )
    def _compute_chorus_needs_attention(self):
        for move in self:
            move.chorus_needs_attention = move.chorus_news_overdue or (
                move.chorus_state in ATTENTION and not move._chorus_rejection_handled()
            )

    def _chorus_rejection_handled(self):
        """A rejected invoice cancelled by a credit note needs nothing more."""
        self.ensure_one()
        return self.chorus_state == "rejected" and self.payment_state == "reversed"

    def _search_chorus_needs_attention(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError()
        self.flush_model(
            [
                "chorus_state",
                "payment_state",
                "chorus_sent_on",
                "chorus_sent_transport",
                "chorus_attempt",
            ]
        )
        self.env["chorus.pro.history"].flush_model(["move_id", "source", "attempt"])
        query = SQL(
            """(
            SELECT m.id FROM account_move m
             WHERE (m.chorus_state IN %(attention)s
                    AND NOT (m.chorus_state = 'rejected' AND m.payment_state = 'reversed'))
                OR (m.chorus_state IN %(awaiting)s
                    AND m.chorus_sent_transport IS DISTINCT FROM 'portal'
                    AND m.chorus_sent_on <= %(limit)s
                    AND NOT EXISTS (
                        SELECT 1 FROM chorus_pro_history h
                         WHERE h.move_id = m.id AND h.source != 'odoo'
                           AND h.attempt = m.chorus_attempt))
            )""",
            attention=ATTENTION,
            awaiting=AWAITING,
            limit=fields.Datetime.now() - NEWS_PATIENCE,
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", query)]

    @api.depends("chorus_sent_on", "chorus_paid_on")
    def _compute_chorus_days_to_payment(self):
        for move in self:
            if move.chorus_sent_on and move.chorus_paid_on:
                # A payment dated before the deposit is shown as it is (negative).
                delay = move.chorus_paid_on - move.chorus_sent_on
                move.chorus_days_to_payment = delay.total_seconds() / 86400
            else:
                move.chorus_days_to_payment = 0.0

    @api.depends("chorus_status_code", "chorus_history_ids.label", "chorus_history_ids.code")
    def _compute_chorus_status_label(self):
        for move in self:
            line = move.chorus_history_ids.filtered(
                lambda h, code=move.chorus_status_code: h.code == code
            ).sorted(lambda h: (h.date, h.id))[-1:]
            move.chorus_status_label = line.label or move.chorus_status_code

    @api.depends("company_id.chorus_environment", "company_id.chorus_dilifac_followup_url")
    def _compute_chorus_links(self):
        for move in self:
            move.chorus_portal_url = PORTAL_URLS[move.company_id.chorus_environment or "qualif"]
            move.chorus_dilifac_url = move.company_id.chorus_dilifac_followup_url

    @api.depends("chorus_sent_on", "chorus_state")
    @api.depends_context("tz")
    def _compute_chorus_duplicata_date(self):
        for move in self:
            if move.chorus_sent_on and move.chorus_state not in EDITABLE:
                tz = move.env.context.get("tz") or move.env.user.tz or "Europe/Paris"
                move.chorus_duplicata_date = fields.Datetime.context_timestamp(
                    move.with_context(tz=tz), move.chorus_sent_on
                ).date()
            else:
                move.chorus_duplicata_date = False

    # -- alerts ------------------------------------------------------------------------

    @api.model
    def _cron_chorus_followup(self):
        """Daily: one To-Do per invoice needing a human, one reminder before the Chorus
        Pro technical password expires."""
        moves = self.search(
            [
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("chorus_needs_attention", "=", True),
            ]
        )
        for move in moves:
            self._chorus_retry_next_run(move._chorus_schedule_alert, move)
        for company in self.env["res.company"].search([]):
            self._chorus_retry_next_run(company._chorus_remind_password_expiry, company)

    def _chorus_retry_next_run(self, step, record):
        """Run one step of a scheduled action in a savepoint; a row another process changed
        meanwhile (an HTTP worker posting on the same invoice or customer) leaves that step
        to the next run instead of failing the whole run. Every step is idempotent."""
        try:
            with self.env.cr.savepoint():
                step()
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            _logger.info("%s changed in another transaction: left to the next run", record)

    def _chorus_alert_situation(self):
        """(key, summary, note) of what a human must do now, or None."""
        self.ensure_one()
        if self.chorus_news_overdue:
            return (
                f"news:{self.chorus_attempt}",
                _("Chorus Pro: no news for 48 hours"),
                Markup("<p>%s</p>")
                % _(
                    "%(invoice)s was sent on %(date)s and neither Chorus Pro nor Dilifac has "
                    "answered since. Use 'Interface Chorus' to fetch the news, then check the "
                    "follow-up pages (Chorus Pro tab).",
                    invoice=self.name,
                    date=format_datetime(self.env, self.chorus_sent_on),
                ),
            )
        todo = {
            "error": _(
                "The document was refused before reaching the buyer. Read the error on the "
                "Chorus Pro tab, correct the invoice, then send it again."
            ),
            "rejected": _(
                "The buyer rejected the invoice. Use 'Process rejection': it issues a full "
                "credit note and opens a copy of the invoice to correct and send."
            ),
            "suspended": _(
                "The buyer suspended the invoice: documents are missing. Use 'Complete' to "
                "send them with a comment."
            ),
            "to_recycle": _(
                "The routing data are wrong. Use 'Recycle' to correct the buyer SIRET, the "
                "service code or the engagement number."
            ),
        }
        if self.chorus_state not in todo:
            return None
        state_label = dict(self._fields["chorus_state"]._description_selection(self.env))[
            self.chorus_state
        ]
        reason = self.chorus_error_message or self.chorus_status_code or ""
        return (
            f"{self.chorus_state}:{self.chorus_attempt}:{self.chorus_status_date}",
            _("Chorus Pro: %(invoice)s %(state)s", invoice=self.name, state=state_label.lower()),
            Markup("<p>%s</p><p>%s</p>") % (todo[self.chorus_state], reason),
        )

    def _chorus_schedule_alert(self):
        """Create the To-Do of the current situation unless it was already created."""
        self.ensure_one()
        user = self._chorus_alert_user()
        # Written in the language of the person who will read it, not the cron's.
        localized = self.with_context(lang=user.lang or self.env.lang, tz=user.tz)
        situation = localized._chorus_alert_situation()
        if not situation or situation[0] == self.chorus_alert_key:
            return
        key, summary, note = situation
        if self.chorus_alert_activity_id:
            self.chorus_alert_activity_id.action_feedback(
                feedback=localized.env._("Superseded: %s", summary)
            )
        activity = self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=note,
            user_id=user.id,
        )
        self.write({"chorus_alert_key": key, "chorus_alert_activity_id": activity.id})

    def _chorus_alert_user(self):
        user = self.invoice_user_id
        if user and user.active and not user.share:
            return user
        return self.company_id._chorus_first_user("account.group_account_invoice")

    def _chorus_close_alert(self, feedback):
        """The corrective action is done: close the To-Do that asked for it."""
        self.ensure_one()
        if self.chorus_alert_activity_id:
            self.chorus_alert_activity_id.action_feedback(feedback=feedback)

    # -- duplicata -----------------------------------------------------------------------

    def _get_invoice_legal_documents(self, filetype, allow_fallback=False):
        """The PDF Odoo stored before sending lacks the duplicata mention: render anew."""
        if filetype == "pdf" and self.chorus_duplicata_date:
            return {
                "filename": self._get_invoice_report_filename(),
                "filetype": "application/pdf",
                "content": self._chorus_render_duplicata(),
            }
        return super()._get_invoice_legal_documents(filetype, allow_fallback=allow_fallback)

    def _get_invoice_legal_documents_all(self, allow_fallback=False):
        documents = super()._get_invoice_legal_documents_all(allow_fallback=allow_fallback)
        if self.chorus_duplicata_date and self.invoice_pdf_report_id:
            stored = self.invoice_pdf_report_id
            for document in documents:
                if document["filename"] == stored.name and document["content"] == stored.raw:
                    document["content"] = self._chorus_render_duplicata()
        return documents

    def _chorus_render_duplicata(self):
        self.ensure_one()
        report = self.env["ir.actions.report"]
        name = "account.account_invoices"
        content, report_type = report._pre_render_qweb_pdf(name, res_ids=self.ids)
        return report._get_splitted_report(name, content, report_type)[self.id]

    # -- corrective actions ----------------------------------------------------------------

    def _chorus_open_wizard(self, model, title):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_id": self.id},
        }

    def action_chorus_recycle(self):
        return self._chorus_open_wizard("chorus.recycle.wizard", _("Recycle on Chorus Pro"))

    def action_chorus_complete(self):
        return self._chorus_open_wizard("chorus.complete.wizard", _("Complete on Chorus Pro"))

    def action_chorus_process_rejection(self):
        return self._chorus_open_wizard("chorus.rejection.wizard", _("Process the rejection"))
