"""Sending invoices to Chorus Pro (API) or Dilifac (SFTP), exactly once, and polling
what comes back.

The exactly-once rule: an invoice is locked, marked 'sending' and committed *before* its
document leaves Odoo; it becomes 'sent' (committed) only once the other side said so.
An invoice found 'sending' later had its answer lost: it is looked up on the other side
(Chorus Pro's supplier search, Dilifac's upload folder) before anything is sent again.
"""

import datetime
import hashlib
import io
import logging
import time
import zipfile

import psycopg2
import pytz
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.chorus_api import parse_chorus_datetime
from ..lib.chorus_status import (
    FINAL,
    SENDABLE,
    chorus_flow_state,
    chorus_invoice_state,
    dilifac_state,
    flow_status_label,
    invoice_status_label,
)
from ..lib.dilifac_naming import invoice_file_name
from ..lib.dilifac_notifications import DILIFAC_STATUS_LABELS, SOURCE_DILIFAC
from ..lib.errors import TRANSIENT, UNKNOWN_OUTCOME, TransportError

_logger = logging.getLogger(__name__)

# How long an unconfirmed deposit may stay unknown before a human is asked to check.
UNKNOWN_OUTCOME_PATIENCE = datetime.timedelta(hours=24)
# A sending younger than this may still be running in another process: never touch it.
UNKNOWN_OUTCOME_GRACE = datetime.timedelta(minutes=15)
# An invoice handed to a person (not found a day after its sending) is still looked up by
# each run of the API poll for this long: when Chorus Pro answers properly again, its
# statuses are read as for any other invoice, whether or not the person has looked yet.
HANDED_OVER_LOOKUP = datetime.timedelta(days=30)
CRON_BATCH = 50
# Code of a failure that is not the other side's answer (a bug, a lost database
# connection...): unlike UNKNOWN_OUTCOME it says nothing of how far the upload went.
UNEXPECTED = "UNEXPECTED"

# Odoo's cron worker runs every due job, and up to 10 batches of each, within one
# limit_time_real (120 s by default) before it is killed: a batch of the API poll stops
# taking new work after this many seconds and leaves the rest to the next batch or run.
CRON_BATCH_SECONDS = 10
# The cron worker's 120 s also cover its sleep (up to 70 s) and the other due jobs: one run
# of the API poll, all its batches together, stops after this many seconds and asks for a
# new run at once, which the cron worker takes in its next pass, with a fresh time limit.
CRON_RUN_SECONDS = 30
_RUN_STARTS = {}  # (database, cron id, lastcall) -> time.monotonic() of the run's start
DILIFAC_TZ = pytz.timezone("Europe/Paris")
# A notification file that cannot be applied this many runs in a row is set aside.
DILIFAC_REFUSAL_RUNS = 3
# First key of the advisory lock held while a company's notification files are read.
DILIFAC_POLL_LOCK = 0x43504446


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

    # -- Chorus Pro API polling ----------------------------------------------------------

    @api.model
    def _cron_chorus_api_poll(self):
        """Flow reports, then invoice ids, then statuses, for every API company, a batch
        at a time; the cron framework runs it again at once while work remains."""
        done = remaining = 0
        deadline = self._chorus_cron_deadline()
        if deadline is not None and time.monotonic() >= deadline:
            # No work notified: the cron framework ends this run; a new one comes at once.
            self.env.ref("chorus_pro_dilifac.ir_cron_chorus_api_poll")._trigger()
            return
        for company in self.env["res.company"].search([("chorus_transport", "=", "api")]):
            try:
                company_done, company_remaining = self.with_company(
                    company
                )._chorus_api_poll_company(company, deadline=deadline)
            except Exception:  # one company's settings must not stop the others
                _logger.exception("Chorus Pro polling of %s failed", company.name)
                continue
            done += company_done
            remaining += company_remaining
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _chorus_cron_deadline(self):
        """When this batch must stop taking work, or None outside a scheduled run."""
        cron_id = self.env.context.get("cron_id")
        if not cron_id:
            return None
        now = time.monotonic()
        for key in [k for k, start in _RUN_STARTS.items() if start < now - 3600]:
            del _RUN_STARTS[key]
        key = (self.env.cr.dbname, cron_id, str(self.env.context.get("lastcall")))
        started = _RUN_STARTS.setdefault(key, now)
        return min(now + CRON_BATCH_SECONDS, started + CRON_RUN_SECONDS)

    @api.model
    def _chorus_api_poll_company(self, company, deadline=None):
        """One batch of each kind of work, or what fits before ``deadline``
        (``time.monotonic()``); returns (done, remaining)."""
        base = [("company_id", "=", company.id), ("chorus_sent_transport", "=", "api")]
        handed_over_since = fields.Datetime.now() - HANDED_OVER_LOOKUP
        domains = {
            "unknown": base
            + [
                "|",
                ("chorus_state", "=", "sending"),
                "&",
                "&",
                ("chorus_state", "=", "error"),
                ("chorus_status_code", "=", "NOT_FOUND"),
                ("chorus_send_started_on", ">", handed_over_since),
            ],
            "flows": base + [("chorus_state", "=", "sent"), ("chorus_flow_number", "!=", False)],
            "followed": base
            + [
                ("chorus_invoice_id", "!=", False),
                # An invoice in error waits for a person, not for Chorus Pro.
                ("chorus_state", "not in", (*FINAL, "error")),
            ],
        }
        totals = {key: self.search_count(domain) for key, domain in domains.items()}
        unknown = self.search(
            domains["unknown"], order="chorus_polled_on asc nulls first, id", limit=CRON_BATCH
        )
        flows = self.search(domains["flows"], limit=CRON_BATCH)
        followed = self.search(
            domains["followed"], order="chorus_polled_on asc nulls first, id", limit=CRON_BATCH
        )
        client = company._chorus_api_client()
        done = 0

        def in_time():
            return deadline is None or time.monotonic() < deadline

        for move in unknown:
            if not in_time():
                break
            self._chorus_guarded(move, move._chorus_settle_unknown_outcome)
            done += 1
        for flow_number, moves in flows.grouped("chorus_flow_number").items():
            if not in_time():
                break
            self._chorus_guarded(moves, moves._chorus_apply_flow_report, client, flow_number)
            done += len(moves)
        for move in followed:
            if not in_time():
                break
            self._chorus_guarded(move, move._chorus_refresh_status, client)
            done += 1
        return done, sum(totals.values()) - done

    def _chorus_guarded(self, moves, func, *args):
        """Run one unit of polling work; a failure is logged, never raised, and does not
        stop the others. Invoices another sender or poller holds are skipped quietly:
        the next run takes them."""
        try:
            with self.env.cr.savepoint():
                if moves._chorus_lock() != moves:
                    _logger.info("Chorus Pro polling: %s busy, left for the next run",
                                 moves.mapped("name"))
                    return
                func(*args)
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            # Being sent or changed by another process right now: polled again next run.
            _logger.info("Chorus Pro polling: %s changed meanwhile, left for the next run",
                         moves.mapped("name"))
        except (TransportError, UserError) as error:
            _logger.warning("Chorus Pro polling of %s failed: %s", moves.mapped("name"), error)
        except Exception:
            _logger.exception("Chorus Pro polling of %s failed", moves.mapped("name"))
        finally:
            self._chorus_commit()

    def _chorus_apply_flow_report(self, client, flow_number):
        report = client.get_flow_report(flow_number)
        status = report["status"]
        for move in self:
            move.chorus_flow_status = status
        if not report["final"]:
            return
        errors = {}
        for error in report["errors"]:
            errors.setdefault(error["invoice_number"], []).append(error["message"] or "")
        technical = "\n".join(e["message"] or e["code"] or "" for e in report["technical_errors"])
        integrated = {}
        if report["outcome"] in ("success", "partial"):
            integrated = {
                item["number"]: item
                for item in client.search_supplier_invoices(flow_number=flow_number)
            }
        for move in self:
            item = integrated.get(move.name)
            if not item and move.name not in errors and report["outcome"] != "failure":
                continue  # integrated but not searchable yet: the next poll finds it
            if item and move.name not in errors:
                move._chorus_apply_event(
                    "chorus_flow",
                    status,
                    flow_status_label(status),
                    flow_number=flow_number,
                    event_key=f"flow:{flow_number}",
                )
                move._chorus_apply_event(
                    "chorus_invoice",
                    item["status"] or "DEPOSEE",
                    invoice_status_label(item["status"]),
                    # Chorus Pro's date, not ours: the state compares it with its history.
                    date=parse_chorus_datetime(item.get("dateHeureEtatCourant")),
                    chorus_invoice_id=item["chorus_id"],
                    state=chorus_invoice_state(item["status"]),
                    event_key=f"found:{move.chorus_attempt}",
                )
            else:
                reason = (
                    "\n".join(errors.get(move.name, [])) or technical or flow_status_label(status)
                )
                move._chorus_apply_event(
                    "chorus_flow",
                    status,
                    flow_status_label(status),
                    comment=reason,
                    flow_number=flow_number,
                    state=chorus_flow_state(status) or "error",
                    event_key=f"flow:{flow_number}",
                )

    def _chorus_refresh_status(self, client):
        self.ensure_one()
        # Stamped first, so that an invoice Chorus keeps failing on goes to the back.
        self.chorus_polled_on = fields.Datetime.now()
        history = client.get_invoice_history(int(self.chorus_invoice_id))
        for entry in history["history"]:
            code = entry["code"]
            self._chorus_apply_event(
                "chorus_invoice",
                code,
                invoice_status_label(code),
                date=entry["date"],
                comment=entry["comment"],
                chorus_invoice_id=self.chorus_invoice_id,
                state=chorus_invoice_state(code),
                event_key=f"status:{self.chorus_invoice_id}:{entry.get('histoStatutId')}",
            )

    # -- Dilifac polling -----------------------------------------------------------------

    @api.model
    def _cron_chorus_dilifac_poll(self):
        """Read Dilifac's notification files and settle unconfirmed uploads."""
        for company in self.env["res.company"].search([("chorus_transport", "=", "dilifac")]):
            try:
                self.with_company(company)._chorus_dilifac_poll_company(company)
            except Exception:  # one company's settings must not stop the others
                _logger.exception("Dilifac polling of %s failed", company.name)

    @api.model
    def _chorus_dilifac_poll_company(self, company):
        """Apply the notification files, then settle unconfirmed uploads (a RECU just read
        settles them best). Returns the SFTP client's summary {processed, failed, messages}.
        """

        def apply_file(filename, events):
            # Every readable line of a file or none: the client archives it only if this
            # returns.
            with self.env.cr.savepoint():
                self._chorus_apply_dilifac_events(company, filename, events)
            self._chorus_commit()

        summary = {"processed": [], "failed": [], "messages": [], "refused": {},
                   "line_errors": {}, "too_large": []}
        if not self._chorus_try_lock(DILIFAC_POLL_LOCK, company.id):
            _logger.info("Dilifac notifications of %s: another run is at it", company.name)
        else:
            try:
                summary = self._chorus_dilifac_read_files(company, apply_file)
            except TransportError as error:  # the uploads below are still settled
                _logger.warning("Dilifac notifications of %s: %s", company.name, error)
                summary["messages"].append(str(error))
            finally:
                self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)",
                                    [DILIFAC_POLL_LOCK, company.id])
        unknown = self.search(
            [
                ("company_id", "=", company.id),
                ("chorus_sent_transport", "=", "dilifac"),
                ("chorus_state", "=", "sending"),
            ]
        )
        for move in unknown:
            self._chorus_guarded(move, move._chorus_settle_unknown_outcome)
        return summary

    def _chorus_try_lock(self, *key):
        """A lock of this database session (it outlives the commits made per file), so
        that a second poller of the same company skips the run instead of reading the
        same files at the same time."""
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", list(key))
        return self.env.cr.fetchone()[0]

    @api.model
    def _chorus_dilifac_read_files(self, company, apply_file):
        limit = (company.chorus_dilifac_notification_max_mb or 10) * 1024 * 1024
        with company._chorus_sftp_client() as client:
            summary = client.process_notifications(
                apply_file, pattern=company.chorus_dilifac_notification_pattern, size_limit=limit
            )
            self._chorus_dilifac_report_files(company, client, summary)
        for message in summary["messages"]:
            _logger.warning("Dilifac notifications of %s: %s", company.name, message)
        return summary

    @api.model
    def _chorus_dilifac_report_files(self, company, client, summary):
        """Tell the accountant (company chatter) about refused lines, and set aside a file
        that passed the size limit or could not be applied DILIFAC_REFUSAL_RUNS runs in a
        row: it is kept in the archive folder, never deleted, and stops blocking."""
        partner = company.partner_id
        for name, errors in summary["line_errors"].items():
            partner.message_post(
                body=_(
                    "Dilifac notification file %(file)s: %(count)s line(s) refused and not "
                    "applied, the others were (the file is kept in the archive folder):\n"
                    "%(errors)s",
                    file=name,
                    count=len(errors),
                    errors="\n".join(errors),
                )
            )
        counts = dict(company.sudo().chorus_dilifac_refusals or {})
        remaining = {}
        for name in summary["failed"]:
            runs = counts.get(name, 0) + 1
            reason = summary["refused"].get(name) or _("not applied")
            if runs < DILIFAC_REFUSAL_RUNS and name not in summary["too_large"]:
                remaining[name] = runs
                continue
            try:
                aside = client.set_aside(name)
            except TransportError as error:
                _logger.warning("Dilifac file %s could not be set aside: %s", name, error)
                remaining[name] = runs
                continue
            partner.message_post(
                body=_(
                    "Dilifac notification file %(file)s could not be applied (%(reason)s, "
                    "%(runs)s run(s)): it was moved aside as %(folder)s/%(aside)s on the "
                    "Dilifac server, kept for a check. Later files are applied normally.",
                    file=name,
                    reason=reason,
                    runs=runs,
                    folder=client.archive_dir,
                    aside=aside,
                )
            )
        company.sudo().chorus_dilifac_refusals = remaining
        self._chorus_commit()

    @api.model
    def _chorus_apply_dilifac_events(self, company, filename, events):
        numbers = {event.invoice_number for event in events}
        moves = {
            move.name: move
            for move in self.search(
                [
                    ("company_id", "=", company.id),
                    ("name", "in", list(numbers)),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                ]
            )
        }
        for event in events:
            move = moves.get(event.invoice_number)
            if not move:
                # Kept where an accountant sees it: the file itself goes to the archive.
                _logger.warning(
                    "%s: no invoice %s in %s", filename, event.invoice_number, company.name
                )
                company.partner_id.message_post(
                    body=_(
                        "Dilifac notification for an invoice unknown to Odoo (%(file)s): "
                        "%(number)s %(origin)s %(status)s %(code)s %(message)s",
                        file=filename,
                        number=event.invoice_number,
                        origin=event.source,
                        status=event.status,
                        code=event.error_code or "",
                        message=event.message or "",
                    )
                )
                continue
            date = DILIFAC_TZ.localize(event.date).astimezone(pytz.utc).replace(tzinfo=None)
            if event.source == SOURCE_DILIFAC:
                label = DILIFAC_STATUS_LABELS.get(event.status, event.status)
                move._chorus_apply_event(
                    "dilifac",
                    event.status,
                    label,
                    date=date,
                    comment=event.message,
                    chorus_invoice_id=event.chorus_invoice_id,
                    event_key=event.event_key,
                    state=dilifac_state(event.status),
                    error_code=event.error_code,
                )
            else:
                move._chorus_apply_event(
                    "chorus_invoice",
                    event.status,
                    invoice_status_label(event.status),
                    date=date,
                    comment=event.message,
                    chorus_invoice_id=event.chorus_invoice_id,
                    event_key=event.event_key,
                    state=chorus_invoice_state(event.status),
                    error_code=event.error_code,
                )

    # -- the "Interface Chorus" button ---------------------------------------------------

    def action_chorus_interface(self):
        """The 'Interface Chorus' button: fetch every news now for the current company."""
        company = self.env.company
        if company.chorus_transport == "dilifac":
            summary = self._chorus_dilifac_poll_company(company)
            message = _(
                "%(done)s notification file(s) applied, %(failed)s left for later.",
                done=len(summary["processed"]),
                failed=len(summary["failed"]),
            )
            if summary["messages"]:
                message += "\n" + "\n".join(summary["messages"])
        elif company.chorus_transport == "api":
            self._chorus_api_poll_company(company)
            message = _("Chorus Pro statuses refreshed.")
        else:
            raise UserError(_("Choose the API or Dilifac transport in the settings first."))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Chorus Pro"),
                "message": message,
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
