import itertools

from odoo.tests import tagged

from ..lib.dilifac_notifications import parse_notification_file
from .common import ChorusProCommon

LINES = {
    "received": "D;DILIFAC;{n};DLF-1;;RECU;2026-11-03 10:00;;",
    "forwarded": "D;DILIFAC;{n};DLF-1;90001;TRANSMIS;2026-11-03 10:00;;",
    "available": "D;CHORUS;{n};DLF-1;90001;MISE_A_DISPOSITION;2026-11-04 09:00;;",
    "service_done": "D;CHORUS;{n};DLF-1;90001;SERVICE_FAIT;2026-11-05 09:00;;",
    "paid": "D;CHORUS;{n};DLF-1;90001;MISE_EN_PAIEMENT;2026-11-10 09:00;;",
}


@tagged("post_install", "-at_install")
class TestNotificationOrder(ChorusProCommon):
    """The state of an invoice is a function of its history, not of the reading order."""

    def _sent_invoice(self):
        invoice = self._invoice(self.town)
        invoice.chorus_attempt = 1
        invoice._chorus_apply_event("odoo", "SENT", "Uploaded", state="sent",
                                    event_key="sent:1")
        return invoice

    def _read(self, invoice, *names):
        """Each name is one notification file, read by the polling in this order."""
        for name in names:
            content = f"H;NOTIF;20261110\n{LINES[name].format(n=invoice.name)}\n".encode()
            self.env["account.move"]._chorus_apply_dilifac_events(
                self.company, f"NOTIF_{name}.csv", parse_notification_file(content)
            )

    def _history(self, invoice):
        """What the other side said (Odoo's own line is dated by the test's clock)."""
        return sorted(
            (h.source, h.code, h.date, h.state or "")
            for h in invoice.chorus_history_ids
            if h.source != "odoo"
        )

    def test_a_payment_read_before_an_older_service_done_stays_paid(self):
        invoice = self._sent_invoice()
        self._read(invoice, "received", "forwarded", "available", "paid", "service_done")
        self.assertEqual(invoice.chorus_state, "paid")
        self.assertEqual(invoice.chorus_status_code, "MISE_EN_PAIEMENT")

    def test_every_reading_order_gives_the_same_state_and_history(self):
        outcomes = set()
        invoice = self._sent_invoice()
        for order in itertools.permutations(("forwarded", "available", "service_done", "paid")):
            with self.subTest(order=order), self.env.cr.savepoint() as savepoint:
                self._read(invoice, *order)
                history = self._history(invoice)
                outcomes.add((invoice.chorus_state, invoice.chorus_status_code,
                              tuple(history)))
                savepoint.rollback()  # the same invoice, as it was, for the next order
                self.env.invalidate_all()
        self.assertEqual(len(outcomes), 1, outcomes)
        ((state, code, _history),) = outcomes
        self.assertEqual((state, code), ("paid", "MISE_EN_PAIEMENT"))

    def test_same_minute_events_follow_the_life_cycle(self):
        invoice = self._sent_invoice()
        LINES["rejected"] = "D;DILIFAC;{n};DLF-1;;REJETE;2026-11-03 10:00;DLF-001;GLN inconnu"
        try:
            self._read(invoice, "rejected", "received")
        finally:
            del LINES["rejected"]
        self.assertEqual(invoice.chorus_state, "error")
        self.assertEqual(invoice.chorus_error_code, "DLF-001")
