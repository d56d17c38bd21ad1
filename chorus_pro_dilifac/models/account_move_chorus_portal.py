"""Following invoices uploaded by hand on the Chorus Pro portal.

With API credentials (given for look-ups only, whatever the transport), Odoo finds each
uploaded invoice on Chorus Pro by its number and reads its statuses like those of the
API transport. Without, the user records what the portal shows ("Record the portal's
status"), which writes the same kind of history line.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

PORTAL_BATCH = 50
# No status can move an invoice out of these any more.
PORTAL_DONE_STATES = ("paid", "rejected", "cancelled", "error", "not_concerned", "to_transmit")


class AccountMove(models.Model):
    _inherit = "account.move"

    chorus_api_lookups = fields.Boolean(
        related="company_id.chorus_directory_available",
        string="Chorus Pro readable through the API",
    )

    @api.model
    def _cron_chorus_portal_follow(self):
        """Hourly, for every company with API credentials: the invoices uploaded on the
        portal, a batch at a time."""
        done = remaining = 0
        for company in self.env["res.company"].search([]).filtered("chorus_directory_available"):
            try:
                company_done, company_remaining = self.with_company(
                    company
                )._chorus_portal_follow_company(company)
            except Exception:  # one company's settings must not stop the others
                _logger.exception(
                    "Chorus Pro follow-up of portal uploads of %s failed", company.name
                )
                continue
            done += company_done
            remaining += company_remaining
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _chorus_portal_follow_company(self, company):
        """One batch; returns (done, remaining)."""
        domain = [
            ("company_id", "=", company.id),
            ("chorus_sent_transport", "=", "portal"),
            ("chorus_state", "not in", PORTAL_DONE_STATES),
        ]
        total = self.search_count(domain)
        moves = self.search(
            domain, order="chorus_polled_on asc nulls first, id", limit=PORTAL_BATCH
        )
        client = company._chorus_api_client()
        for move in moves:
            self._chorus_guarded(move, move._chorus_follow_portal_upload, client)
        return len(moves), total - len(moves)

    def _chorus_follow_portal_upload(self, client):
        """Find the uploaded invoice on Chorus Pro (by its number) once, then read its
        statuses like an invoice deposited through the API."""
        self.ensure_one()
        if not self.chorus_invoice_id:
            found = [
                item
                for item in client.search_supplier_invoices(invoice_number=self.name)
                if item["number"] == self.name and item["chorus_id"]
            ]
            if not found:
                self.chorus_polled_on = fields.Datetime.now()
                return  # not integrated yet (or not uploaded yet)
            self.chorus_invoice_id = str(found[-1]["chorus_id"])
        self._chorus_refresh_status(client)

    def action_chorus_record_portal_status(self):
        self.ensure_one()
        if self.chorus_sent_transport != "portal":
            raise UserError(
                _(
                    "%s was not uploaded on the portal by hand: its status comes by itself.",
                    self.name,
                )
            )
        return self._chorus_open_wizard("chorus.portal.status", _("Record the portal's status"))

    @api.model
    def action_chorus_fetch_news_now(self):
        """Menu 'Fetch news now': everything the scheduled actions would read for the
        current company, now, even before any invoice was sent from this screen."""
        company = self.env.company
        messages = []
        if company.chorus_transport in ("api", "dilifac"):
            result = self.action_chorus_interface()
            messages.append(result["params"]["message"])
        if company.chorus_directory_available and company.chorus_transport != "api":
            done, _remaining = self._chorus_portal_follow_company(company)
            messages.append(_("%s invoice(s) uploaded on the portal checked.", done))
        if not messages:
            raise UserError(
                _(
                    "Company %s: nothing to fetch. Invoices uploaded on the portal by hand are "
                    "followed with 'Record the portal's status', or automatically once API "
                    "credentials are given (Settings > Chorus Pro).",
                    company.name,
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Chorus Pro"),
                "message": "\n".join(messages),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
