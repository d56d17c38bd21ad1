"""Sending invoices to Chorus Pro (API) or Dilifac (SFTP), exactly once.

The exactly-once rule: an invoice is locked, marked 'sending' and committed *before* its
document leaves Odoo; it becomes 'sent' (committed) only once the other side said so.
An invoice found 'sending' later had its answer lost: it is looked up on the other side
(Chorus Pro's supplier search, Dilifac's upload folder) before anything is sent again.
What comes back is read by the polling (account_move_chorus_poll.py).
"""

import datetime
import hashlib
import io
import logging
import zipfile

import psycopg2
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.chorus_api import parse_chorus_datetime
from ..lib.chorus_status import (
    SENDABLE,
    chorus_invoice_state,
    invoice_status_label,
)
from ..lib.dilifac_naming import invoice_file_name
from ..lib.errors import TRANSIENT, UNKNOWN_OUTCOME, TransportError

_logger = logging.getLogger(__name__)

# How long an unconfirmed deposit may stay unknown before a human is asked to check.
UNKNOWN_OUTCOME_PATIENCE = datetime.timedelta(hours=24)
# A sending younger than this may still be running in another process: never touch it.
UNKNOWN_OUTCOME_GRACE = datetime.timedelta(minutes=15)
# Code of a failure that is not the other side's answer (a bug, a lost database
# connection...): unlike UNKNOWN_OUTCOME it says nothing of how far the upload went.
UNEXPECTED = "UNEXPECTED"


class AccountMove(models.Model):
    _inherit = "account.move"

    # -- sending -----------------------------------------------------------------------

    def action_chorus_send(self):
        """Button: Send & Print with Chorus Pro ticked, the one path that sends an invoice."""
        action = self.action_send_and_print()
        action["context"] = {**action.get("context", {}), "chorus_pro_preselect": True}
        return action

    def _chorus_send(self, from_cron=False):
        """Send every sendable invoice of ``self``; returns {move: [error, ...]}.

        Invalid invoices are reported and left untouched; the others go on. Through the
        API, the valid invoices of a company leave in one flow (a zip) when there are
        several. Invoices another transaction holds are skipped (reported to a user, not
        to the scheduled action), never waited for.
        """
        failures = {}
        moves = self.filtered(
            lambda m: m.move_type in ("out_invoice", "out_refund") and m.state == "posted"
        )
        for company, company_moves in moves.grouped("company_id").items():
            transport = company.chorus_transport
            if transport not in ("api", "dilifac"):
                for move in company_moves:
                    failures[move] = [
                        _(
                            "%s: the company sends through the Chorus Pro portal: use the "
                            "action 'Chorus Pro portal file' on the invoice list.",
                            move.name,
                        )
                    ]
                continue
            locked = company_moves._chorus_lock()
            if not from_cron:
                for move in company_moves - locked:
                    failures[move] = [
                        _(
                            "%s is being sent or checked by someone else right now: try "
                            "again in a moment.",
                            move.name,
                        )
                    ]
            company_moves = locked
            # Handed to a person because its sending was never found: looked up once more
            # (Chorus Pro may answer again since); one found there is never sent again.
            for move in company_moves.filtered(
                lambda m: m.chorus_sent_transport == "api" and m._chorus_is_handed_over()
            ):
                move._chorus_settle_unknown_outcome()
            # Decided before the look-ups of unconfirmed sendings: one they put in error waits
            # for a human.
            sendable = company_moves.filtered(lambda m: m.chorus_state in SENDABLE)
            for move in company_moves.filtered(lambda m: m.chorus_state == "sending"):
                failures.update(move._chorus_settle_unknown_outcome())
            if not sendable:
                continue
            prepared = sendable._chorus_prepare_documents(dilifac=transport == "dilifac")
            documents = {}
            for move, document in prepared.items():
                if document["errors"]:
                    failures[move] = document["errors"]
                else:
                    documents[move] = (document["filename"], document["content"])
            if transport == "api" and len(documents) > 1:
                failures.update(self._chorus_deliver_flow(company, documents))
            else:
                for move, (filename, content) in documents.items():
                    failures.update(self._chorus_deliver_flow(company, {move: (filename, content)}))
        return failures

    def _chorus_lock(self):
        """The invoices of ``self`` this transaction could lock; those another sender or
        poller holds right now are left out (picked up by the next run)."""
        if not self:
            return self
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM account_move WHERE id IN %s FOR UPDATE SKIP LOCKED",
                    [tuple(self.ids)],
                )
                locked = {row[0] for row in self.env.cr.fetchall()}
        except psycopg2.errors.SerializationFailure:
            # Changed by another transaction since ours began: theirs, this time.
            locked = set()
        self.invalidate_recordset()
        return self.browse([move_id for move_id in self.ids if move_id in locked])

    def _chorus_commit(self):
        """Commit what was just decided, so that a crash cannot forget it."""
        if self.env["account.move.send"]._can_commit():
            # The exactly-once protocol (README "Usage"): never in tests, as Odoo's own sending.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _chorus_claim(self):
        """The invoices of ``self`` still sendable, locked for this transaction.

        Called right before marking them 'sending': the lock taken by ``_chorus_lock`` ends
        with the first commit of a batch, and another sender may have taken the others
        since. What another transaction holds or changed is left out.
        """
        self.flush_recordset(["chorus_state"])
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM account_move WHERE id IN %s AND chorus_state IN %s"
                    " FOR UPDATE SKIP LOCKED",
                    [tuple(self.ids), SENDABLE],
                )
                claimed = {row[0] for row in self.env.cr.fetchall()}
        except psycopg2.errors.SerializationFailure:
            claimed = set()
        self.invalidate_recordset()
        return self.filtered(lambda move: move.id in claimed)

    @api.model
    def _chorus_deliver_flow(self, company, documents):
        """Record then hand over {move: (filename, content)}: one API flow (a zip when there
        are several), or one Dilifac upload. Returns {move: [error]}."""
        try:
            client = company._chorus_client()
        except UserError as error:  # settings incomplete: nothing was marked, nothing left
            return {move: [str(error)] for move in documents}
        moves = self.browse([move.id for move in documents])._chorus_claim()
        if not moves:
            return {}
        documents = {move: documents[move] for move in moves}
        for move, (filename, content) in documents.items():
            move._chorus_mark_sending(company.chorus_transport, filename, content)
        self._chorus_commit()
        if len(documents) == 1:
            ((_move, (_filename, content)),) = documents.items()
            return moves._chorus_transmit(client, content)
        try:
            with self.env.cr.savepoint():
                archive = io.BytesIO()
                with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as flow:
                    for move in moves:
                        flow.writestr(move.chorus_sent_filename, documents[move][1])
                moves.write({"chorus_sent_filename": False})
        except Exception as error:  # noqa: BLE001 - claimed: recorded, never stranded
            _logger.exception("Building the flow of %s failed", moves.mapped("name"))
            # Nothing left Odoo: back to a state from which sending again is safe.
            return moves._chorus_transmit_failed(
                TransportError(
                    TRANSIENT, _("The flow could not be built (%s)", error.__class__.__name__)
                )
            )
        stamp = fields.Datetime.now().strftime("%Y%m%d%H%M%S")
        return moves._chorus_transmit(
            client, archive.getvalue(), flow_name=f"FLUX_{stamp}_{len(moves)}.zip"
        )

    def _chorus_mark_sending(self, transport, filename, content):
        """Persist 'about to send', with the exact bytes and their checksum."""
        self.ensure_one()
        attempt = self.chorus_attempt + 1
        if transport == "dilifac":
            filename = invoice_file_name(
                self.company_id.chorus_dilifac_reseller_id or "0",
                self.name,
                attempt,
                template=self.company_id.chorus_dilifac_filename_template,
            )
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "raw": content,
                "res_model": "account.move",
                "res_id": self.id,
                "description": _("Document transmitted to Chorus Pro (attempt %s)", attempt),
            }
        )
        self.write(
            {
                "chorus_state": "sending",
                "chorus_attempt": attempt,
                "chorus_sent_transport": transport,
                "chorus_send_started_on": fields.Datetime.now(),
                "chorus_sent_filename": filename,
                "chorus_sent_attachment_id": attachment.id,
                "chorus_sent_checksum": hashlib.sha256(content).hexdigest(),
                "chorus_flow_number": False,
                "chorus_flow_status": False,
                "chorus_invoice_id": False,
            }
        )

    def _chorus_transmit(self, client, content, flow_name=None, commit=True):
        """Send what is recorded on the invoices (one file, or the zip of a flow) with the
        company's ``client`` and move their state on. Returns {move: [error]}.

        ``commit=False`` inside a unit of work its caller commits (a polling unit runs in a
        savepoint: a commit there makes releasing it fail and aborts the whole run).
        """
        company = self[:1].company_id
        transport = self[:1].chorus_sent_transport
        try:
            with self.env.cr.savepoint():
                if transport == "api":
                    receipt = client.deposit_flow(
                        flow_name or self.chorus_sent_filename, content, company.chorus_syntax
                    )
                    self.write({"chorus_flow_number": receipt["flow_number"]})
                    label = _("Deposited on Chorus Pro, flow %s", receipt["flow_number"])
                else:
                    with client:
                        client.upload(self.chorus_sent_filename, content)
                    label = _("Uploaded to Dilifac as %s", self.chorus_sent_filename)
        except TransportError as error:
            return self._chorus_transmit_failed(error, commit=commit)
        except Exception as error:  # noqa: BLE001 - the invoices are claimed: never stranded
            return self._chorus_transmit_failed(self._chorus_unexpected(error), commit=commit)
        try:
            with self.env.cr.savepoint():
                self._chorus_record_sent(label)
        except Exception as error:  # noqa: BLE001 - sent, but not recorded: looked up later
            return self._chorus_transmit_failed(self._chorus_unexpected(error), commit=commit)
        if commit:
            self._chorus_commit()
        return {}

    def _chorus_unexpected(self, error):
        """Any failure once an invoice is claimed is an unknown outcome: the invoice stays
        'being sent', is looked up on the other side, and is handed to a person after a
        day if nothing can be found (never sent twice, never stuck)."""
        _logger.exception("Unexpected error while sending %s", self.mapped("name"))
        return TransportError(
            UNKNOWN_OUTCOME,
            _("Unexpected error while sending (%s)", error.__class__.__name__),
            code=UNEXPECTED,
        )

    def _chorus_record_sent(self, label):
        self.write({"chorus_sent_on": fields.Datetime.now()})
        for move in self:
            move._chorus_apply_event(
                "odoo",
                "SENT",
                label,
                date=move.chorus_sent_on,
                flow_number=move.chorus_flow_number,
                state="sent",
                event_key=f"sent:{move.chorus_attempt}",
            )

    def _chorus_transmit_failed(self, error, commit=True):
        failures = {}
        for move in self:
            if error.kind == UNKNOWN_OUTCOME:
                # Stays 'sending': looked up on the other side before any new sending.
                move._chorus_apply_event(
                    "odoo",
                    "SEND_INTERRUPTED" if error.code == UNEXPECTED else "UNKNOWN_OUTCOME",
                    _("No answer after sending"),
                    comment=str(error),
                )
                failures[move] = [
                    _(
                        "No answer after sending %(invoice)s: it will be looked up on the other "
                        "side before any new sending (%(error)s).",
                        invoice=move.name,
                        error=error,
                    )
                ]
                continue
            move._chorus_apply_event(
                "odoo",
                "SEND_FAILED",
                _("Sending failed"),
                comment=str(error),
                state="error" if move.chorus_attempt > 1 else "to_transmit",
            )
            move.write(
                {
                    "chorus_send_started_on": False,
                    "chorus_error_code": error.code or error.kind,
                    "chorus_error_message": str(error),
                }
            )
            failures[move] = [
                _("%(invoice)s was not sent: %(error)s", invoice=move.name, error=error)
            ]
        if commit:
            self._chorus_commit()
        return failures

    def _chorus_settle_unknown_outcome(self):
        """Settle an invoice left 'sending' (no answer, or a crash mid-way) by looking at
        the other side; returns {move: [message]} when it is not settled yet.

        A sending younger than UNKNOWN_OUTCOME_GRACE may still be running elsewhere: it is
        left alone. Nothing is sent again unless the other side shows it did not arrive.
        """
        self.ensure_one()
        if fields.Datetime.now() - self.chorus_send_started_on < UNKNOWN_OUTCOME_GRACE:
            return {self: [_("%s is being sent right now: nothing is sent twice.", self.name)]}
        # Stamped first: the poll looks up the least recently checked invoices first.
        self.chorus_polled_on = fields.Datetime.now()
        try:
            with self.env.cr.savepoint():
                if self.chorus_sent_transport == "dilifac":
                    return self._chorus_settle_dilifac()
                return self._chorus_settle_api()
        except Exception as error:  # noqa: BLE001 - a look-up that keeps failing ends with a person
            if not isinstance(error, (TransportError, UserError)):
                _logger.exception("Looking up the last sending of %s failed", self.name)
                error = self._chorus_unexpected(error)
            if fields.Datetime.now() - self.chorus_send_started_on > UNKNOWN_OUTCOME_PATIENCE:
                return self._chorus_wait_or_ask(
                    _(
                        "%(invoice)s: whether its last sending arrived could not be checked "
                        "for a day (%(error)s). Check the Chorus Pro portal or the Dilifac "
                        "follow-up page, then send it again if it is not there.",
                        invoice=self.name,
                        error=error,
                    )
                )
            return {
                self: [
                    _(
                        "%(invoice)s: could not check whether the last sending arrived "
                        "(%(error)s); it is checked again later, nothing is sent twice.",
                        invoice=self.name,
                        error=error,
                    )
                ]
            }

    def _chorus_settle_dilifac(self):
        client = self.company_id._chorus_sftp_client()
        with client:
            delivered = client.is_delivered(self.chorus_sent_filename)
            partial = not delivered and client.has_partial_upload(self.chorus_sent_filename)
        if partial:  # stopped half-way: the same name completes or replaces it
            # Within the caller's savepoint: the caller commits once it is released.
            return self._chorus_transmit(client, self.chorus_sent_attachment_id.raw, commit=False)
        renamed = "UNKNOWN_OUTCOME" in self.chorus_history_ids.filtered(
            lambda h: h.attempt == self.chorus_attempt
        ).mapped("code")
        if delivered or renamed:
            # Complete on the server, or already taken away by Dilifac after the rename.
            self.chorus_sent_on = self.chorus_send_started_on
            self._chorus_apply_event(
                "odoo",
                "SENT",
                _("Found on Dilifac: %s", self.chorus_sent_filename),
                state="sent",
                event_key=f"settled:{self.chorus_attempt}",
            )
            return {}
        # Odoo stopped before or during the upload and nothing is left to tell: only
        # Dilifac's notifications (read before this) or a person can say.
        return self._chorus_wait_or_ask(
            _(
                "No trace of %(file)s on Dilifac a day after its sending was interrupted. "
                "Check the Dilifac follow-up page, then send the invoice again.",
                file=self.chorus_sent_filename,
            )
        )

    def _chorus_settle_api(self):
        client = self.company_id._chorus_api_client()
        found = [
            item
            for item in client.search_supplier_invoices(invoice_number=self.name)
            if item.get("number") == self.name
        ]
        if not found:
            return self._chorus_wait_or_ask(
                _(
                    "Chorus Pro has no invoice %s a day after a deposit without answer. Check "
                    "the Chorus Pro portal, then send it again.",
                    self.name,
                )
            )
        item = found[-1]
        self.write(
            {
                "chorus_flow_number": item.get("numeroFluxDepot") or self.chorus_flow_number,
                "chorus_sent_on": self.chorus_send_started_on,
            }
        )
        self._chorus_apply_event(
            "chorus_invoice",
            item.get("status") or "DEPOSEE",
            invoice_status_label(item.get("status")),
            date=parse_chorus_datetime(item.get("dateHeureEtatCourant")),
            chorus_invoice_id=item.get("chorus_id"),
            state=chorus_invoice_state(item.get("status")),
            event_key=f"found:{self.chorus_attempt}",
        )
        if self.chorus_invoice_id:
            # Found late (maybe days later): its status history at once, not one run later.
            try:
                with self.env.cr.savepoint():
                    self._chorus_refresh_status(client)
            except TransportError as error:
                _logger.info("Statuses of %s left to the next poll: %s", self.name, error)
        return {}

    def _chorus_is_handed_over(self):
        """Handed to a person because its last sending could not be found: still looked up."""
        self.ensure_one()
        return self.chorus_state == "error" and self.chorus_status_code == "NOT_FOUND"

    def _chorus_wait_or_ask(self, question):
        """Not found yet: keep waiting, or after UNKNOWN_OUTCOME_PATIENCE hand over to a
        person (state 'error', with what to check), once."""
        if self._chorus_is_handed_over():
            return {self: [question]}
        if fields.Datetime.now() - self.chorus_send_started_on > UNKNOWN_OUTCOME_PATIENCE:
            self._chorus_apply_event(
                "odoo", "NOT_FOUND", _("Not found after sending"), comment=question, state="error"
            )
            return {self: [question]}
        return {
            self: [
                _(
                    "%s was sent but its arrival is not confirmed yet: it is checked again "
                    "automatically, nothing is sent twice.",
                    self.name,
                )
            ]
        }
