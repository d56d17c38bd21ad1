import datetime

from odoo import fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import ChorusProCommon


@tagged("post_install", "-at_install")
class TestChorusDashboard(ChorusProCommon):
    """Chorus Pro > Dashboard: the numbers a user sees are the lists they open."""

    def opened(self, bucket):
        """The invoices listed when the user clicks the number ``bucket``, with the
        filters the list starts with (as the web client applies them)."""
        action = self.company.with_context(chorus_bucket=bucket).action_chorus_dashboard_open()
        domain = list(action["domain"])
        context = action.get("context") or {}
        if isinstance(context, str):
            context = safe_eval(context)
        if context.get("search_default_chorus_needs_attention"):
            domain.append(("chorus_needs_attention", "=", True))
        return self.env["account.move"].search(domain)

    def opened_domain(self, bucket):
        action = self.company.with_context(chorus_bucket=bucket).action_chorus_dashboard_open()
        return [tuple(term) if isinstance(term, list) else term for term in action["domain"]]

    def set_state(self, move, state, **values):
        move.write({"chorus_state": state, "chorus_sent_transport": "dilifac", **values})

    def test_counts_match_the_lists_they_open(self):
        now = fields.Datetime.now()
        to_recycle, rejected, silent, paid, delivered, fresh, to_send, settled = (
            self._invoice(self.town) for _i in range(8)
        )
        self.set_state(to_recycle, "to_recycle", chorus_sent_on=now)
        self.set_state(rejected, "rejected", chorus_sent_on=now)
        # Sent three days ago, nothing heard since: needs attention too.
        self.set_state(silent, "sent", chorus_sent_on=now - datetime.timedelta(days=3))
        self.set_state(
            paid,
            "paid",
            chorus_sent_on=now - datetime.timedelta(days=12),
            chorus_paid_on=now,
        )
        self.set_state(delivered, "made_available", chorus_sent_on=now)
        self.set_state(fresh, "sent", chorus_sent_on=now)
        # A rejection settled by a full credit note needs nothing more.
        self.set_state(settled, "rejected", chorus_sent_on=now)
        settled._reverse_moves(cancel=True)
        draft = self._invoice(self.town, post=False)
        self.assertEqual(to_send.chorus_state, "to_transmit")

        company = self.company
        company.invalidate_recordset()
        self.assertEqual(company.chorus_count_attention, 3)
        self.assertEqual(self.opened("attention"), to_recycle | rejected | silent)
        self.assertEqual(company.chorus_count_awaiting, 2)
        self.assertEqual(self.opened("awaiting"), silent | fresh)
        self.assertEqual(company.chorus_count_delivered, 1)
        self.assertEqual(self.opened("delivered"), delivered)
        self.assertEqual(company.chorus_count_paid, 1)
        self.assertEqual(self.opened("paid"), paid)
        self.assertEqual(company.chorus_average_days_to_payment, 12.0)
        # The credit note cancelling the settled rejection is to transmit too; a draft
        # is not counted.
        credit_note = settled.reversal_move_ids
        self.assertEqual(company.chorus_count_to_transmit, 2)
        self.assertEqual(self.opened("to_transmit"), to_send | credit_note)
        self.assertNotIn(draft, self.opened("to_transmit"))
        self.assertIn(("company_id", "=", company.id), self.opened_domain("attention"))

        to_recycle.chorus_state = "integrated"
        company.invalidate_recordset()
        self.assertEqual(company.chorus_count_attention, 2, "the number follows the invoices")
