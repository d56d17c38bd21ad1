"""Reading what Chorus Pro and Dilifac say about the invoices sent, and applying it.

Kept apart from the sending (account_move_chorus_send.py): the sending must stay
exactly-once, the polling must be safe to run any number of times. Every event read
carries its key at the source (``_chorus_apply_event`` ignores a repeat), so a report,
a status history or a notification file read twice changes nothing; each unit of work
(a flow, an invoice, a file) is committed on its own, and a failed one is left for the
next run instead of stopping the others. The scheduled actions stay within Odoo's cron
time limits: a run stops taking work after a few seconds and asks for a new run.
"""

import datetime
import logging
import time

import psycopg2
import pytz
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.chorus_api import parse_chorus_datetime
from ..lib.chorus_status import (
    FINAL,
    chorus_flow_state,
    chorus_invoice_state,
    dilifac_state,
    flow_status_label,
    invoice_status_label,
)
from ..lib.dilifac_notifications import DILIFAC_STATUS_LABELS, SOURCE_DILIFAC
from ..lib.errors import TransportError

_logger = logging.getLogger(__name__)

# An invoice handed to a person (not found a day after its sending) is still looked up by
# each run of the API poll for this long: when Chorus Pro answers properly again, its
# statuses are read as for any other invoice, whether or not the person has looked yet.
HANDED_OVER_LOOKUP = datetime.timedelta(days=30)
# ...once an hour at most: counted as remaining work only when due, so that the scheduled
# action neither looks it up again in its next batch nor runs again at once for it.
HANDED_OVER_EVERY = datetime.timedelta(hours=1)
CRON_BATCH = 50
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
        now = fields.Datetime.now()
        domains = {
            "unknown": base
            + [
                "|",
                ("chorus_state", "=", "sending"),
                "&",
                "&",
                "&",
                ("chorus_state", "=", "error"),
                ("chorus_status_code", "=", "NOT_FOUND"),
                ("chorus_send_started_on", ">", now - HANDED_OVER_LOOKUP),
                "|",
                ("chorus_polled_on", "=", False),
                ("chorus_polled_on", "<", now - HANDED_OVER_EVERY),
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
                    _logger.info(
                        "Chorus Pro polling: %s busy, left for the next run", moves.mapped("name")
                    )
                    return
                func(*args)
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            # Being sent or changed by another process right now: polled again next run.
            _logger.info(
                "Chorus Pro polling: %s changed meanwhile, left for the next run",
                moves.mapped("name"),
            )
        except (TransportError, UserError) as error:
            _logger.warning("Chorus Pro polling of %s failed: %s", moves.mapped("name"), error)
        except Exception:
            _logger.exception("Chorus Pro polling of %s failed", moves.mapped("name"))
        finally:
            self._chorus_commit()

    def _chorus_apply_flow_report(self, client, flow_number):
        report = client.get_flow_report(flow_number)
        status = report["status"]
        # Chorus Pro's time of the report, to the minute as its invoice statuses are, so
        # that "Intégré" comes before "Mise à disposition" in the history. Now if absent.
        flow_date = report["status_date"] and report["status_date"].replace(
            second=0, microsecond=0
        )
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
                    date=flow_date,
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
                    date=flow_date,
                    flow_number=flow_number,
                    state=chorus_flow_state(status) or "error",
                    event_key=f"flow:{flow_number}",
                )

    def _chorus_refresh_status(self, client):
        self.ensure_one()
        # Stamped first, so that an invoice Chorus keeps failing on goes to the back.
        self.chorus_polled_on = fields.Datetime.now()
        history = client.get_invoice_history(int(self.chorus_invoice_id))
        # The status the invoice had when it was found (after its flow's report, or when
        # looked up) is already a line: the oldest entry of that code in that minute is
        # that event (a later one, after a suspension say, is another event).
        found = self.chorus_history_ids.filtered(
            lambda h: h.event_key == f"found:{self.chorus_attempt}"
        )[:1]
        same_as_found = next(
            (
                entry
                for entry in history["history"]
                if found and entry["code"] == found.code and _same_minute(entry["date"], found.date)
            ),
            None,
        )
        for entry in history["history"]:
            code = entry["code"]
            if entry is same_as_found:
                continue
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

        summary = {
            "processed": [],
            "failed": [],
            "messages": [],
            "refused": {},
            "line_errors": {},
            "too_large": [],
        }
        if not self._chorus_try_lock(DILIFAC_POLL_LOCK, company.id):
            _logger.info("Dilifac notifications of %s: another run is at it", company.name)
            summary["messages"].append(
                _(
                    "The notifications are being read by another run right now: they are "
                    "applied by it."
                )
            )
        else:
            try:
                summary = self._chorus_dilifac_read_files(company, apply_file)
            except TransportError as error:  # the uploads below are still settled
                _logger.warning("Dilifac notifications of %s: %s", company.name, error)
                summary["messages"].append(str(error))
            finally:
                self.env.cr.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [DILIFAC_POLL_LOCK, company.id]
                )
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
                source, state = "dilifac", dilifac_state(event.status)
                label = DILIFAC_STATUS_LABELS.get(event.status, event.status)
            else:  # a Chorus Pro status Dilifac passes on
                source, state = "chorus_invoice", chorus_invoice_state(event.status)
                label = invoice_status_label(event.status)
            move._chorus_apply_event(
                source,
                event.status,
                label,
                date=date,
                comment=event.message,
                chorus_invoice_id=event.chorus_invoice_id,
                event_key=event.event_key,
                state=state,
                error_code=event.error_code,
            )

    # -- the "Interface Chorus" button ---------------------------------------------------

    def action_chorus_interface(self):
        """The 'Interface Chorus' button: fetch every news now for the current company, and
        say what changed (which invoices moved to which state), not how it was fetched."""
        company = self.env.company
        if company.chorus_transport not in ("dilifac", "api"):
            raise UserError(_("Choose the API or Dilifac transport in the settings first."))
        followed = self.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                (
                    "chorus_state",
                    "not in",
                    (False, "not_concerned", "to_transmit", "paid", "cancelled"),
                ),
            ]
        )
        before = {move.id: move.chorus_state for move in followed}
        problems = []
        if company.chorus_transport == "dilifac":
            summary = self._chorus_dilifac_poll_company(company)
            if summary["failed"]:
                problems.append(
                    _(
                        "%(count)s notification file(s) could not be read: they are left "
                        "for the next reading (see the company's chatter).",
                        count=len(summary["failed"]),
                    )
                )
            problems += summary["messages"]
        else:
            self._chorus_api_poll_company(company)
        followed.invalidate_recordset(["chorus_state"])
        changed = followed.filtered(lambda move: move.chorus_state != before[move.id])
        labels = dict(self._fields["chorus_state"]._description_selection(self.env))
        if changed:
            shown = changed[:10]
            # French typography puts a space before the colon: the separator is translated.
            # (self.env._: Odoo's _ finds no language inside a comprehension's own frame.)
            items = [
                self.env._("%(invoice)s: %(state)s", invoice=m.name, state=labels[m.chorus_state])
                for m in shown
            ]
            listed = "; ".join(items) + ("…" if len(changed) > len(shown) else "")
            if len(changed) == 1:
                message = _("1 invoice changed state: %(list)s", list=listed)
            else:
                message = _(
                    "%(count)s invoices changed state: %(list)s", count=len(changed), list=listed
                )
        else:
            message = _("No news from Chorus Pro since the last check.")
        if problems:
            message += "\n" + "\n".join(problems)
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


def _same_minute(first, second):
    """Chorus Pro dates its statuses to the minute (naive UTC datetimes, or None)."""
    return bool(first and second) and first.replace(second=0, microsecond=0) == second.replace(
        second=0, microsecond=0
    )
