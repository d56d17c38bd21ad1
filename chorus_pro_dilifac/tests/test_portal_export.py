import base64
import random
from decimal import Decimal

from odoo.addons.chorus_pro_dilifac.lib.portal_file import PORTAL_FILENAME, parse_portal_file
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import ChorusProCommon


@tagged("post_install", "-at_install")
class TestChorusPortalExport(ChorusProCommon):
    def _wizard(self, moves):
        return Form(
            self.env["chorus.pro.portal.export"].with_context(
                active_model="account.move", active_ids=moves.ids
            )
        )

    def test_missing_data_is_flagged(self):
        self.town.chorus_service_required = True
        self.hospital.chorus_engagement_required = True
        town_invoice = self._invoice(self.town)
        hospital_invoice = self._invoice(self.hospital)
        state_invoice = self._invoice(self.state_buyer)
        wizard = self._wizard(town_invoice | hospital_invoice | state_invoice).save()
        missing = {line.move_id: line.missing for line in wizard.line_ids}
        self.assertEqual(missing[town_invoice], "MISSING: service code")
        self.assertEqual(missing[hospital_invoice], "MISSING: engagement number")
        self.assertFalse(missing[state_invoice])
        self.assertEqual(wizard.missing_count, 2)
        line = wizard.line_ids.filtered(lambda line: line.move_id == town_invoice)
        self.assertEqual(line.action_open_invoice()["res_id"], town_invoice.id)
        self.assertEqual(line.action_open_partner()["res_id"], self.town.id)
        with self.assertRaisesRegex(UserError, "Service code"):
            wizard.action_export()
        # Left out, the incomplete invoices do not block the others.
        (
            wizard.line_ids - wizard.line_ids.filtered(lambda line: line.move_id == state_invoice)
        ).include = False
        self.assertEqual(wizard.missing_count, 0)
        self.company.chorus_portal_file_limit = 0.01  # 10 kB: less than the PDF alone
        wizard.action_export()
        self.assertIn(state_invoice.name, wizard.size_warning)
        self.assertIn("more than the 0.01 MB the portal", wizard.size_warning)
        invoices = parse_portal_file(base64.b64decode(wizard.file_data))
        self.assertEqual([i.number for i in invoices], [state_invoice.name])
        self.assertEqual(
            state_invoice.chorus_state, "to_transmit", "not marked as sent unless asked"
        )

    def test_portal_file_of_three_invoices_round_trips(self):
        self.town.chorus_service_code = "MEDIATHEQUE"
        town_invoice = self._invoice(self.town, ref="EJ-2026-0042", contract_reference="M2026-017")
        state_invoice = self._invoice(self.state_buyer)
        credit_note = self._invoice(
            self.hospital, lines=[(self.book, 2, 8.5)], move_type="out_refund"
        )
        moves = town_invoice | state_invoice | credit_note
        pdfs = moves._chorus_invoice_pdfs()
        for move, pdf in pdfs.items():  # what Send & Print would have stored
            self.env["ir.attachment"].create(
                {
                    "name": f"{move.name}.pdf",
                    "raw": pdf,
                    "res_model": "account.move",
                    "res_id": move.id,
                    "res_field": "invoice_pdf_report_file",
                }
            )
        moves.invalidate_recordset(["invoice_pdf_report_id"])
        form = self._wizard(moves)
        form.payment_means = "58"
        form.mark_as_sent = True
        wizard = form.save()
        wizard.action_export()
        self.assertEqual(wizard.file_name, PORTAL_FILENAME)
        self.assertFalse(wizard.size_warning)

        parsed = {i.number: i for i in parse_portal_file(base64.b64decode(wizard.file_data))}
        self.assertEqual(set(parsed), set(moves.mapped("name")))
        for move in moves:
            with self.subTest(move=move.name):
                self.assertEqual(
                    parsed[move.name].pdf_bytes, pdfs[move], "the PDF unzips to the invoice's PDF"
                )
                self.assertTrue(parsed[move.name].pdf_bytes.startswith(b"%PDF-"))

        town = parsed[town_invoice.name]
        self.assertEqual((town.type_code, town.cadre, town.payment_means_code), ("380", "A1", "58"))
        self.assertEqual(
            (town.buyer.identifier, town.buyer.service_code), ("21340172200011", "MEDIATHEQUE")
        )
        self.assertEqual(
            (town.engagement_number, town.market_number), ("EJ-2026-0042", "M2026-017")
        )
        self.assertEqual(
            (town.amount_untaxed, town.amount_total, town.amount_due),
            (Decimal("93.00"), Decimal("99.28"), Decimal("99.28")),
        )
        self.assertEqual(
            [(v.rate, v.base, v.amount) for v in town.vat_lines],
            [
                (Decimal("5.5"), Decimal("85.00"), Decimal("4.68")),
                (Decimal("20"), Decimal("8.00"), Decimal("1.60")),
            ],
        )
        refund = parsed[credit_note.name]
        self.assertEqual((refund.type_code, refund.payment_means_code), ("381", ""))
        self.assertEqual(parsed[state_invoice.name].buyer.identifier, "11000201100044")

        for move in moves:
            self.assertEqual(move.chorus_state, "sent")
            self.assertEqual(move.chorus_history_ids[:1].code, "PORTAL_EXPORT")
            self.assertEqual(move.chorus_history_ids[:1].source, "odoo")

    def _store_pdf(self, move, size):
        """What Send & Print stores: here a PDF that does not compress, ``size`` bytes."""
        noise = random.Random(move.id).randbytes(size)
        self.env["ir.attachment"].create(
            {
                "name": f"{move.name}.pdf",
                "raw": b"%PDF-1.4\n" + noise + b"\n%%EOF\n",
                "res_model": "account.move",
                "res_id": move.id,
                "res_field": "invoice_pdf_report_file",
            }
        )
        move.invalidate_recordset(["invoice_pdf_report_id"])

    def test_many_invoices_are_split_under_the_limit_one_payment_means_per_file(self):
        self.company.chorus_portal_file_limit = 1.0  # MB
        transfers = self.env["account.move"]
        for _index in range(5):
            transfers |= self._invoice(self.state_buyer)
        cheque = self._invoice(self.state_buyer)
        for move in transfers | cheque:
            self._store_pdf(move, 300_000)  # about 400 kB once in base64
        form = self._wizard(transfers | cheque)
        for index in range(len(form.line_ids)):
            with form.line_ids.edit(index) as line:
                if line.move_id == cheque:
                    line.payment_means = "20"
        form.mark_as_sent = True
        wizard = form.save()
        wizard.action_export()

        self.assertFalse(wizard.size_warning)
        self.assertGreater(len(wizard.file_ids), 2)
        self.assertEqual(len(set(wizard.file_ids.mapped("name"))), len(wizard.file_ids))
        seen = []
        for file in wizard.file_ids:
            content = base64.b64decode(file.data)
            with self.subTest(file=file.name):
                self.assertLessEqual(len(content), 1_000_000)
                parsed = parse_portal_file(content)
                self.assertEqual({i.payment_means_code for i in parsed}, {file.payment_means})
                self.assertCountEqual([i.number for i in parsed], file.move_ids.mapped("name"))
                seen += [i.number for i in parsed]
        self.assertCountEqual(seen, (transfers | cheque).mapped("name"), "each invoice once")
        cheque_file = wizard.file_ids.filtered(lambda f: cheque in f.move_ids)
        self.assertEqual((cheque_file.payment_means, cheque_file.move_ids), ("20", cheque))
        self.assertEqual(cheque.chorus_payment_means, "20")
        self.assertEqual(cheque.chorus_sent_filename, cheque_file.name)
        self.assertEqual(set((transfers | cheque).mapped("chorus_state")), {"sent"})
