import os
import pwd
import shutil
from datetime import timedelta
from unittest.mock import patch

from lxml import etree
from odoo.sql_db import Savepoint
from odoo.tests import tagged

from .common import ChorusDilifacSandboxCommon

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


@tagged("post_install", "-at_install")
class TestChorusDilifacTransport(ChorusDilifacSandboxCommon):
    def _sent_tree(self, invoice):
        return etree.fromstring(invoice.chorus_sent_attachment_id.raw)

    def test_valid_invoice_is_made_available_then_paid(self):
        invoice = self._invoice(self.town)
        self.assertFalse(invoice._chorus_send())
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertTrue((self.sshd.root / "I" / invoice.chorus_sent_filename).exists())
        self.dilifac_round()
        self.assertEqual(invoice.chorus_state, "made_available")
        self.assertTrue(invoice.chorus_invoice_id)
        self.processor.set_chorus_status(invoice.name, "MISE_EN_PAIEMENT")
        self.dilifac_round()
        self.assertEqual(invoice.chorus_state, "paid")
        self.assertEqual(
            invoice.chorus_history_ids.sorted("id").mapped("code"),
            ["SENT", "RECU", "TRANSMIS", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT"],
        )
        self.assertTrue(
            list((self.sshd.root / "ARC").glob("NOTIF_*.csv")), "applied files archived"
        )

    def test_interface_chorus_says_which_invoice_changed_and_to_what(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        self.processor.run_once()
        action = invoice.with_company(self.company).action_chorus_interface()
        self.assertEqual(invoice.chorus_state, "made_available")
        message = action["params"]["message"]
        self.assertIn(invoice.name, message)
        self.assertIn("Made available", message, "the state as the form shows it")
        action = invoice.with_company(self.company).action_chorus_interface()
        self.assertEqual(
            action["params"]["message"], "No news from Chorus Pro since the last check."
        )
        # In French, with French typography (a space before the colon).
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["chorus_pro_dilifac"], ["fr_FR"], overwrite=True
        )
        self.processor.set_chorus_status(invoice.name, "MISE_EN_PAIEMENT")
        self.processor.run_once()
        action = (
            invoice.with_company(self.company).with_context(lang="fr_FR").action_chorus_interface()
        )
        self.assertEqual(
            action["params"]["message"],
            f"1 facture a changé d'état : {invoice.name} : Mise en paiement",
        )

    def test_technical_rejection_shows_code_and_text_and_can_be_resent(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        # Dilifac's GLN check fails: corrupt the recipient GLN in the uploaded file.
        uploaded = self.sshd.root / "I" / invoice.chorus_sent_filename
        uploaded.write_bytes(uploaded.read_bytes().replace(b"3025594696108", b"3025594696109"))
        self.dilifac_round()
        self.assertEqual(invoice.chorus_state, "error")
        self.assertTrue(invoice.chorus_error_code.startswith("DLF-"))
        self.assertIn("GLN", invoice.chorus_error_message)
        self.assertFalse(invoice._chorus_send(), "corrected, it goes again")
        self.assertEqual(invoice.chorus_attempt, 2)
        self.assertTrue(invoice.chorus_sent_filename.endswith("_2.xml"))
        self.dilifac_round()
        self.assertEqual(invoice.chorus_state, "made_available")
        self.assertEqual(
            set(invoice.chorus_history_ids.mapped("attempt")), {1, 2}, "both attempts kept"
        )

    def test_the_same_notification_file_read_twice_changes_nothing(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        self.processor.run_once()
        notification = next((self.sshd.root / "O").glob("NOTIF_*.csv"))
        copy = notification.read_bytes()
        self.env["account.move"]._chorus_dilifac_poll_company(self.company)
        lines = len(invoice.chorus_history_ids)
        (self.sshd.root / "O" / "NOTIF_again.csv").write_bytes(copy)
        (self.sshd.root / "O" / "NOTIF_again.csv.rdy").write_bytes(b"")
        summary = self.env["account.move"]._chorus_dilifac_poll_company(self.company)
        self.assertEqual(summary["processed"], ["NOTIF_again.csv"])
        self.assertEqual(len(invoice.chorus_history_ids), lines)

    def test_unparseable_file_is_reported_and_left_in_place(self):
        broken = self.sshd.root / "O" / "NOTIF_broken.csv"
        broken.write_bytes(b"not a notification\n")
        (self.sshd.root / "O" / "NOTIF_broken.csv.rdy").write_bytes(b"")
        summary = self.env["account.move"]._chorus_dilifac_poll_company(self.company)
        self.assertEqual(summary["failed"], ["NOTIF_broken.csv"])
        self.assertTrue(broken.exists())

    def test_recipient_gln_and_siret_by_debtor_type(self):
        town_invoice = self._invoice(self.town)
        state_invoice = self._invoice(self.state_buyer, ref="EJ-STATE-7")
        (town_invoice | state_invoice)._chorus_send()
        for invoice, gln, siret in (
            (town_invoice, "3025594696108", "21340172200011"),
            (state_invoice, "3025594697303", "11000201100044"),
        ):
            tree = self._sent_tree(invoice)
            customer = tree.find("cac:AccountingCustomerParty/cac:Party", NS)
            self.assertEqual(customer.findtext("cbc:EndpointID", namespaces=NS), gln)
            self.assertEqual(customer.find("cbc:EndpointID", NS).get("schemeID"), "0088")
            self.assertEqual(
                customer.findtext("cac:PartyIdentification/cbc:ID", namespaces=NS), siret
            )
            supplier = tree.find("cac:AccountingSupplierParty/cac:Party", NS)
            self.assertEqual(
                supplier.findtext("cbc:EndpointID", namespaces=NS), self.company.chorus_dilifac_gln
            )

    def test_host_key_mismatch_refuses_to_send(self):
        self.company.chorus_sftp_host_fingerprint = "SHA256:" + "A" * 43
        invoice = self._invoice(self.town)
        failures = invoice._chorus_send()
        self.assertIn("host key", failures[invoice][0].lower())
        self.assertEqual(invoice.chorus_state, "to_transmit")

    def _as_if_the_answer_was_lost(self, invoice, renamed=True):
        invoice.write(
            {
                "chorus_state": "sending",
                "chorus_send_started_on": invoice.chorus_send_started_on - timedelta(minutes=20),
            }
        )
        # The answer never came: Odoo never recorded the sending as done.
        invoice.chorus_history_ids.filtered(lambda h: h.code == "SENT").sudo().unlink()
        if renamed:
            invoice._chorus_apply_event("odoo", "UNKNOWN_OUTCOME", comment="connection dropped")

    def test_upload_stopped_before_its_marker_is_completed_once(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        marker = self.sshd.root / "I" / (invoice.chorus_sent_filename + ".rdy")
        marker.unlink()
        self._as_if_the_answer_was_lost(invoice)
        self.assertFalse(invoice._chorus_send())
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertTrue(marker.exists())
        self.assertEqual(self.processor.run_once(), [invoice.chorus_sent_filename])

    def test_scheduled_run_completes_stopped_uploads_without_commit_inside_a_savepoint(self):
        """In production each polling unit is committed: a commit made while a savepoint
        is open ends it, releasing it then fails and the whole run is lost (the other
        invoices and companies are skipped). Commits are recorded here with the number of
        savepoints open at that moment (the test transaction itself cannot commit)."""
        invoices = self._invoice(self.town) | self._invoice(self.town)
        for invoice in invoices:
            invoice._chorus_send()
            (self.sshd.root / "I" / (invoice.chorus_sent_filename + ".rdy")).unlink()
            self._as_if_the_answer_was_lost(invoice)
        open_savepoints = []
        commits_inside = []
        init, close = Savepoint.__init__, Savepoint._close

        def opened(savepoint, cr):
            init(savepoint, cr)
            open_savepoints.append(savepoint)

        def closed(savepoint, rollback):
            open_savepoints.remove(savepoint)
            close(savepoint, rollback)

        def commit():
            if open_savepoints:
                commits_inside.append(len(open_savepoints))

        with patch.object(Savepoint, "__init__", opened), \
                patch.object(Savepoint, "_close", closed), \
                patch.object(self.env.cr, "commit", commit), \
                patch.object(type(self.env["account.move.send"]), "_can_commit",
                             lambda _self: True):
            self.env["account.move"]._cron_chorus_dilifac_poll()
        self.assertEqual(commits_inside, [], "no commit while a savepoint is open")
        self.assertEqual(invoices.mapped("chorus_state"), ["sent", "sent"])
        for invoice in invoices:
            self.assertTrue((self.sshd.root / "I" / (invoice.chorus_sent_filename + ".rdy"))
                            .exists())
        self.assertEqual(invoices.mapped("chorus_attempt"), [1, 1])

    def test_upload_already_taken_by_dilifac_is_not_sent_again(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        self.processor.run_once()
        self._as_if_the_answer_was_lost(invoice)
        invoice._chorus_send()
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertEqual(invoice.chorus_attempt, 1)
        self.assertFalse(list((self.sshd.root / "I").glob("FAC_*")), "nothing uploaded again")

    def test_crash_before_the_upload_waits_then_asks_a_person(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        (self.sshd.root / "I" / invoice.chorus_sent_filename).unlink()
        (self.sshd.root / "I" / (invoice.chorus_sent_filename + ".rdy")).unlink()
        self._as_if_the_answer_was_lost(invoice, renamed=False)
        invoice._chorus_send()
        self.assertEqual(
            invoice.chorus_state, "sending", "no trace yet: wait for the notifications"
        )
        invoice.chorus_send_started_on -= timedelta(hours=25)
        invoice._chorus_send()
        self.assertEqual(invoice.chorus_state, "error")
        self.assertIn("Dilifac follow-up", invoice.chorus_error_message)

    def test_file_name_follows_the_company_setting(self):
        self.company.chorus_dilifac_filename_template = "INV_{invoice_number}{attempt_suffix}.xml"
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        self.assertTrue(invoice.chorus_sent_filename.startswith("INV_"))
        self.assertTrue((self.sshd.root / "I" / invoice.chorus_sent_filename).exists())

    def test_notification_for_an_unknown_invoice_is_kept_for_the_accountant(self):
        notification = self.sshd.root / "O" / "NOTIF_unknown.csv"
        notification.write_text(
            "H;NOTIF;20261124\n"
            "D;DILIFAC;FAC-OTHER-SOFTWARE-1;DLF1;;REJETE;2026-11-24 10:00;DLF-003;GLN émetteur\n",
            encoding="utf-8",
        )
        (self.sshd.root / "O" / "NOTIF_unknown.csv.rdy").write_bytes(b"")
        summary = self.env["account.move"]._chorus_dilifac_poll_company(self.company)
        self.assertEqual(summary["processed"], ["NOTIF_unknown.csv"], summary["messages"])
        notes = self.company.partner_id.message_ids.mapped("body")
        self.assertTrue(any("FAC-OTHER-SOFTWARE-1" in note and "DLF-003" in note for note in notes))

    def _outbox(self, name, content):
        (self.sshd.root / "O" / name).write_bytes(content)
        (self.sshd.root / "O" / (name + ".rdy")).write_bytes(b"")

    def _company_notes(self):
        return "\n".join(self.company.partner_id.message_ids.mapped("body"))

    def test_a_nul_byte_refuses_its_line_and_the_rest_is_applied(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        self._outbox(
            "NOTIF_1.csv",
            b"H;NOTIF;20261124\n"
            b"D;CHORUS;" + invoice.name.encode() + b";DLF1;90001;SUSPENDUE;2026-11-24 10:00;"
            b"E1;pi\xc3\xa8ce\x00 manquante\n"
            b"D;DILIFAC;" + invoice.name.encode() + b";DLF1;90001;TRANSMIS;2026-11-24 09:00;;\n",
        )
        self._outbox(
            "NOTIF_2.csv",
            b"H;NOTIF;20261125\n"
            b"D;CHORUS;" + invoice.name.encode() + b";DLF1;90001;MISE_A_DISPOSITION;"
            b"2026-11-25 09:00;;\n",
        )
        summary = self.env["account.move"]._chorus_dilifac_poll_company(self.company)
        self.assertEqual(summary["processed"], ["NOTIF_1.csv", "NOTIF_2.csv"])
        self.assertEqual(invoice.chorus_state, "made_available")
        self.assertNotIn("SUSPENDUE", invoice.chorus_history_ids.mapped("code"))
        self.assertIn("TRANSMIS", invoice.chorus_history_ids.mapped("code"))
        notes = self._company_notes()
        self.assertIn("NOTIF_1.csv", notes)
        self.assertIn("line 2", notes)
        self.assertTrue((self.sshd.root / "ARC" / "NOTIF_1.csv").exists(), "kept as it came")

    def test_an_unreadable_entry_is_set_aside_after_three_runs(self):
        invoice = self._invoice(self.town)
        invoice._chorus_send()
        folder = self.sshd.root / "O" / "NOTIF_0.csv"
        folder.mkdir()
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        self.addCleanup(shutil.rmtree, self.sshd.root / "ARC" / "REFUSED_NOTIF_0.csv",
                        ignore_errors=True)
        user = pwd.getpwnam(self.sshd.username)
        os.chown(folder, user.pw_uid, user.pw_gid)
        (self.sshd.root / "O" / "NOTIF_0.csv.rdy").write_bytes(b"")
        for run in (1, 2, 3):
            self.dilifac_round()
            self.assertEqual(invoice.chorus_state, "made_available", f"run {run}: applied")
            self.assertEqual(folder.exists(), run < 3)
        self.assertTrue((self.sshd.root / "ARC" / "REFUSED_NOTIF_0.csv").is_dir(), "kept")
        notes = self._company_notes()
        self.assertIn("NOTIF_0.csv", notes)
        self.assertIn("REFUSED_NOTIF_0.csv", notes)

    def test_an_oversized_file_is_set_aside_and_reported(self):
        self.company.chorus_dilifac_notification_max_mb = 1
        self._outbox("NOTIF_big.csv", b"H;NOTIF;20261124\n" + b"D;x\n" * 300_000)
        summary = self.env["account.move"]._chorus_dilifac_poll_company(self.company)
        self.assertEqual(summary["too_large"], ["NOTIF_big.csv"])
        self.assertTrue((self.sshd.root / "ARC" / "REFUSED_NOTIF_big.csv").exists())
        self.assertIn("NOTIF_big.csv", self._company_notes())
