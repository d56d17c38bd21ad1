from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..lib.chorus_api import ChorusProClient
from .common import ChorusApiSandboxCommon

DEPOSIT = "/cpro/factures/v1/deposer/flux"
SEARCH = "/cpro/factures/v1/rechercher/fournisseur"


@tagged("post_install", "-at_install")
class TestChorusApiTransport(ChorusApiSandboxCommon):
    def test_valid_invoice_reaches_payment_through_the_crons(self):
        invoice = self._invoice(self.town, ref="EJ-2026-001")
        self.assertFalse(invoice._chorus_send())
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertTrue(invoice.chorus_flow_number.startswith("CPP001"))
        self.assertTrue(invoice.chorus_sent_attachment_id)

        self.poll()
        self.assertEqual(
            invoice.chorus_state, "sent", "nothing integrated before Chorus processes the flow"
        )
        self.sandbox.process_all()
        self.poll()
        self.assertTrue(invoice.chorus_invoice_id)
        self.assertIn(invoice.chorus_state, ("integrated", "made_available"))
        self.sandbox.process_all()
        self.poll()
        self.assertEqual(invoice.chorus_state, "made_available")
        # The history, newest first as the invoice's Chorus tab lists it, keeps Chorus Pro's
        # order even though Odoo read the flow report after the invoice was made available.
        listed = (
            self.env["chorus.pro.history"].search([("move_id", "=", invoice.id)]).mapped("code")
        )
        self.assertEqual(listed[-1], "SENT")
        self.assertLess(listed.index("MISE_A_DISPOSITION"), listed.index("IN_INTEGRE"))
        self.assertLess(listed.index("DEPOSEE"), listed.index("IN_INTEGRE"))
        self.assertLess(listed.index("MISE_A_DISPOSITION"), listed.index("DEPOSEE"))

        for status in ("SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"):
            self.play_buyer(invoice, status)
        self.poll()
        self.assertEqual(invoice.chorus_state, "paid")
        self.assertEqual(invoice.chorus_status_code, "MISE_EN_PAIEMENT")
        codes = invoice.chorus_history_ids.mapped("code")
        for code in (
            "SENT",
            "IN_INTEGRE",
            "MISE_A_DISPOSITION",
            "SERVICE_FAIT",
            "MANDATEE",
            "MISE_EN_PAIEMENT",
        ):
            self.assertIn(code, codes)
        self.assertEqual(len(codes), len(set(codes)), f"each event once: {codes}")
        lines = len(invoice.chorus_history_ids)
        self.poll()
        self.assertEqual(len(invoice.chorus_history_ids), lines, "polling again adds nothing")

    def test_no_answer_reads_older_than_the_sending(self):
        """Chorus Pro writes its times in Paris time, to the minute: answers given within
        the minute of the sending still come after it in the history."""
        invoice = self._invoice(self.town)
        self.assertFalse(invoice._chorus_send())
        for _step in range(2):
            self.sandbox.process_all()
            self.poll()
        self.play_buyer(invoice, "SERVICE_FAIT")
        self.poll()
        # Newest first, as the Chorus Pro tab shows it.
        history = self.env["chorus.pro.history"].search([("move_id", "=", invoice.id)])
        self.assertIn("SERVICE_FAIT", history.mapped("code"))
        self.assertEqual(history[-1].code, "SENT", "the sending comes first in time")
        for line in history:
            self.assertGreaterEqual(line.date, invoice.chorus_sent_on, line.code)

    def test_a_second_click_never_deposits_twice(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        invoice._chorus_send()
        self.assertEqual(len(self.sandbox.flows()), 1)

    def test_structure_rules_stop_the_invoice_before_sending(self):
        department = self._public_partner(
            "Département de Seine-Maritime", "local_authority", siret="22760540900019"
        )
        (self.hospital | department).action_chorus_check_directory()
        self.assertTrue(self.hospital.chorus_service_required)
        self.assertTrue(department.chorus_engagement_required)
        no_service = self._invoice(self.hospital)
        no_engagement = self._invoice(department)
        failures = (no_service | no_engagement)._chorus_send()
        self.assertRegex("\n".join(failures[no_service]), f"{no_service.name}.*[Ss]ervice code")
        self.assertRegex("\n".join(failures[no_engagement]), f"{no_engagement.name}.*[Ee]ngagement")
        self.assertEqual((no_service | no_engagement).mapped("chorus_state"), ["to_transmit"] * 2)
        self.assertFalse(self.sandbox.flows(), "nothing left Odoo")

    def test_one_bad_invoice_in_a_flow_of_three(self):
        # Never checked in the directory: Odoo cannot know the service code is required.
        good_1 = self._invoice(self.town)
        good_2 = self._invoice(self.state_buyer, ref="EJ-STATE-1")
        bad = self._invoice(self.hospital)
        failures = (good_1 | good_2 | bad)._chorus_send()
        self.assertFalse(failures)
        self.assertEqual(len(set((good_1 | good_2 | bad).mapped("chorus_flow_number"))), 1)
        self.sandbox.process_all()
        self.poll()
        self.assertEqual(good_1.chorus_flow_status, "IN_INTEGRE_PARTIEL")
        self.assertEqual(bad.chorus_state, "error")
        self.assertIn("service", bad.chorus_error_message.lower())
        self.assertTrue(good_1.chorus_invoice_id and good_2.chorus_invoice_id)
        self.assertNotEqual(good_1.chorus_state, "error")
        self.assertNotEqual(good_2.chorus_state, "error")

        bad.buyer_reference = "BIBLIO"
        self.assertFalse(bad._chorus_send(), "corrected, it can be sent again")
        self.sandbox.process_all()
        self.poll()
        self.assertTrue(bad.chorus_invoice_id)
        self.assertEqual(bad.chorus_attempt, 2)

    def test_timeout_after_deposit_then_retry_gives_one_invoice(self):
        invoice = self._invoice(self.town)
        self.sandbox.fail_next(DEPOSIT, "timeout_after_commit", hang_seconds=15)
        failures = invoice.with_context(chorus_api_timeout=2)._chorus_send()
        self.assertIn("No answer", failures[invoice][0])
        self.assertEqual(invoice.chorus_state, "sending")
        invoice._chorus_send()
        self.assertEqual(len(self.sandbox.flows()), 1, "too recent to be looked up: left alone")
        invoice.chorus_send_started_on -= timedelta(minutes=20)
        invoice._chorus_send()
        self.assertEqual(invoice.chorus_state, "sending", "not confirmed yet: wait, do not resend")
        self.sandbox.process_all()
        invoice._chorus_send()
        self.assertEqual(
            len([i for i in self.sandbox.invoices() if i["numeroFacture"] == invoice.name]), 1
        )
        self.assertTrue(invoice.chorus_invoice_id)
        self.assertNotEqual(invoice.chorus_state, "sending")

    def test_refused_connection_leaves_the_invoice_ready_to_retry(self):
        invoice = self._invoice(self.town)
        self.company.chorus_api_base_url = "http://127.0.0.1:9"
        failures = invoice._chorus_send()
        self.assertIn(invoice.name, failures[invoice][0])
        self.assertEqual(invoice.chorus_state, "to_transmit")
        self.company.chorus_api_base_url = self.sandbox.https_url
        self.assertFalse(invoice._chorus_send())
        self.assertEqual(invoice.chorus_state, "sent")

    def test_directory_check_fills_flags_and_services(self):
        self.hospital.action_chorus_check_directory()
        self.assertEqual(self.hospital.chorus_structure_id, 2003)
        self.assertTrue(self.hospital.chorus_structure_active)
        self.assertTrue(self.hospital.chorus_directory_checked_on)
        services = {s.code: s for s in self.hospital.chorus_service_ids}
        self.assertTrue(services["PHARMA"].engagement_required)
        self.assertFalse(services["ANCIEN"].is_active)

    def test_send_and_print_sends_with_chorus_pro(self):
        invoice = self._invoice(self.town)
        self.env["account.move.send"]._generate_and_send_invoices(
            invoice, sending_methods={"chorus_pro"}
        )
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertEqual(len(self.sandbox.flows()), 1)

    def test_new_siret_is_checked_again_in_the_directory(self):
        self.hospital.action_chorus_check_directory()
        self.assertTrue(self.hospital.chorus_service_required)
        self.hospital.siret = "20005478100014"
        self.env["res.partner"]._cron_chorus_refresh_directory()
        self.assertEqual(self.hospital.chorus_structure_id, 2008)
        self.assertFalse(self.hospital.chorus_service_required)
        self.assertEqual(
            set(self.hospital.chorus_service_ids.mapped("code")), {"LECTURE", "JEUNESSE"}
        )

    def test_connection_test_from_the_settings(self):
        self.assertIn("Chorus Pro answered", self.company._chorus_test_connection())
        self.company.chorus_piste_client_secret = "wrong"
        with self.assertRaisesRegex(UserError, "Connection test failed"):
            self.company._chorus_test_connection()

    def test_cron_reports_remaining_work(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        done, remaining = self.env["account.move"]._chorus_api_poll_company(self.company)
        self.assertEqual((done, remaining), (1, 0))

    def test_a_poll_batch_out_of_time_leaves_the_rest_for_later(self):
        """Odoo kills a cron worker after limit_time_real: a batch past its time budget
        stops taking work and reports it as remaining."""
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        self.sandbox.process_all()
        Move = self.env["account.move"]
        done, remaining = Move._chorus_api_poll_company(self.company, deadline=0)
        self.assertEqual((done, remaining), (0, 1))
        self.assertFalse(invoice.chorus_invoice_id, "nothing read from Chorus Pro")
        done, remaining = Move._chorus_api_poll_company(self.company)
        self.assertEqual((done, remaining), (1, 0))
        self.assertTrue(invoice.chorus_invoice_id)

    def test_a_scheduled_run_out_of_time_asks_for_a_new_run(self):
        """The cron worker is killed after limit_time_real: a run past its budget does no
        more work and asks the cron worker for a new run, with a fresh time limit."""
        from ..models import account_move_chorus_poll as poll

        invoice = self._invoice(self.town)
        invoice._chorus_send()
        self.sandbox.process_all()
        cron = self.env.ref("chorus_pro_dilifac.ir_cron_chorus_api_poll")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        context = {"cron_id": cron.id, "lastcall": "2026-12-01 09:00:00"}
        with patch.object(poll, "CRON_RUN_SECONDS", 0):
            self.env["account.move"].with_context(**context)._cron_chorus_api_poll()
        self.assertFalse(invoice.chorus_invoice_id, "nothing read from Chorus Pro")
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), len(triggers)
        )
        self.env["account.move"].with_context(
            cron_id=cron.id, lastcall="next"
        )._cron_chorus_api_poll()
        self.assertTrue(invoice.chorus_invoice_id, "the new run does the work")

    def test_unconfirmed_deposit_is_handed_to_a_person_after_a_day(self):
        invoice = self._invoice(self.town)
        self.sandbox.fail_next(DEPOSIT, "drop")
        invoice.with_context(chorus_api_timeout=2)._chorus_send()
        self.assertEqual(invoice.chorus_state, "sending")
        invoice.chorus_send_started_on -= timedelta(hours=25)
        failures = invoice._chorus_send()
        self.assertEqual(invoice.chorus_state, "error")
        self.assertIn("Check the Chorus Pro portal", failures[invoice][0])
        self.assertFalse(self.sandbox.flows(), "nothing was deposited behind the user's back")

    def test_a_handed_over_invoice_is_followed_once_chorus_pro_answers_again(self):
        invoice = self._invoice(self.town)
        self.sandbox.fail_next(DEPOSIT, "timeout_after_commit", hang_seconds=15)
        invoice.with_context(chorus_api_timeout=2)._chorus_send()
        for _step in range(2):
            self.sandbox.process_all()
        invoice.chorus_send_started_on -= timedelta(hours=25)
        # Chorus Pro's search answers wrongly typed data for two runs of the poll.
        self.sandbox.fail_next(
            SEARCH, "answer", count=2, body={"codeRetour": 0, "parametresRetour": {"pages": "x"}}
        )
        self.poll()
        self.assertEqual(invoice.chorus_state, "error", "handed over to a person after a day")
        self.assertIn("Check the Chorus Pro portal", invoice.chorus_error_message)
        searches = self._searches()
        self.poll()
        self.assertEqual(self._searches(), searches, "looked up once an hour, not at every run")
        invoice.chorus_polled_on -= timedelta(hours=2)
        self.poll()
        self.assertEqual(self._searches(), searches + 1)
        self.assertEqual(
            invoice.chorus_history_ids.mapped("code").count("NOT_FOUND"), 1, "asked only once"
        )
        invoice.chorus_polled_on -= timedelta(hours=2)
        self.poll()  # the search answers properly again
        on_chorus = [i for i in self.sandbox.invoices() if i["numeroFacture"] == invoice.name]
        self.assertEqual(len(on_chorus), 1)
        self.assertEqual(invoice.chorus_state, "made_available")
        self.assertFalse(invoice.chorus_needs_attention)
        self.assertEqual(invoice.chorus_invoice_id, str(on_chorus[0]["identifiantFactureCPP"]))
        codes = invoice.chorus_history_ids.mapped("code")
        for code in on_chorus[0]["historique"]:
            self.assertIn(code, codes, "every status Chorus Pro has is in the history")
        self.assertEqual(len(self.sandbox.flows()), 1, "never sent again")

    def _searches(self):
        return sum(1 for _method, path, _status in self.sandbox.request_log if path == SEARCH)

    def test_send_looks_a_handed_over_invoice_up_before_sending_it_again(self):
        invoice = self._invoice(self.town)
        self.sandbox.fail_next(DEPOSIT, "timeout_after_commit", hang_seconds=15)
        invoice.with_context(chorus_api_timeout=2)._chorus_send()
        invoice.chorus_send_started_on -= timedelta(hours=25)
        self.sandbox.fail_next(SEARCH, "http_500")
        invoice._chorus_send()
        self.assertEqual(invoice.chorus_state, "error", "handed over to a person after a day")
        # The person presses Send again: Chorus Pro has it, so nothing leaves Odoo.
        self.sandbox.process_all()
        self.assertFalse(invoice._chorus_send())
        self.assertNotEqual(invoice.chorus_state, "error")
        self.assertEqual(len(self.sandbox.flows()), 1, "found on Chorus Pro: not sent again")

    def test_an_invoice_taken_by_another_sender_is_not_sent_again(self):
        invoice = self._invoice(self.town)
        invoice.chorus_state = "sent"  # as another transaction would have left it
        failures = self.env["account.move"]._chorus_deliver_flow(
            self.company, {invoice: ("UBL_X.xml", b"<Invoice/>")}
        )
        self.assertFalse(failures)
        self.assertFalse(self.sandbox.flows())
        self.assertFalse(invoice.chorus_sent_attachment_id)

    def test_a_transmitted_invoice_cannot_be_reset_to_draft(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        with self.assertRaisesRegex(UserError, "credit note"):
            invoice.button_draft()
        draft_ok = self._invoice(self.town)
        draft_ok.button_draft()
        self.assertEqual(draft_ok.state, "draft")

    def test_tls_failure_on_the_api_host_leaves_the_invoice_ready_to_retry(self):
        invoice = self._invoice(self.town)
        # The token host answers; the API host serves a certificate for another name.
        self.company.chorus_api_oauth_url = self.sandbox.url
        self.sandbox.set_tls_mode("wrong_name")
        self.addCleanup(self.sandbox.set_tls_mode, "valid")
        failures = invoice._chorus_send()
        self.assertIn("certificate", failures[invoice][0])
        self.assertEqual(invoice.chorus_state, "to_transmit")
        self.assertFalse(self.sandbox.flows())
        self.sandbox.set_tls_mode("valid")
        self.assertFalse(invoice._chorus_send())
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertEqual(len(self.sandbox.flows()), 1)

    def test_any_error_after_the_claim_ends_in_a_state_a_person_sees(self):
        invoice = self._invoice(self.town)
        # Not a transport failure: a bug, or anything else nobody foresaw.
        with patch.object(ChorusProClient, "deposit_flow", side_effect=RuntimeError("boom")):
            failures = invoice._chorus_send()
        self.assertIn(invoice.name, failures[invoice][0])
        self.assertEqual(invoice.chorus_state, "sending", "may have left: looked up first")
        self.assertIn("SEND_INTERRUPTED", invoice.chorus_history_ids.mapped("code"))
        invoice.chorus_send_started_on -= timedelta(hours=25)
        with patch.object(
            ChorusProClient, "search_supplier_invoices", side_effect=RuntimeError("boom")
        ):
            failures = invoice._chorus_send()
        self.assertEqual(invoice.chorus_state, "error", "handed over to a person after a day")
        self.assertIn(invoice.name, failures[invoice][0])
        self.assertTrue(invoice.chorus_needs_attention)
        self.assertFalse(self.sandbox.flows(), "nothing was deposited behind the user's back")
