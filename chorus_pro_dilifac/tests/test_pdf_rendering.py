"""The invoice PDF is rendered at most once per invoice when sending to Chorus Pro, never for
a syntax that does not carry it, and the PDF Chorus receives is the one the customer's copy
shows."""

import base64
from collections import Counter
from contextlib import contextmanager
from unittest.mock import patch

from lxml import etree
from odoo.tests import tagged

from ..models.account_move_chorus_pdf import wkhtmltopdf_renders_batches
from .common import ChorusApiSandboxCommon

UBL = "IN_DP_E1_UBL_INVOICE"
CII = "IN_DP_E1_CII_16B"
EMBEDDED_PDF = "//*[local-name()='EmbeddedDocumentBinaryObject']"


@tagged("post_install", "-at_install")
class TestChorusPdfRendering(ChorusApiSandboxCommon):
    @contextmanager
    def count_renderings(self):
        """Counter {invoice id: PDF renderings} and the number of wkhtmltopdf runs."""
        report_class = type(self.env["ir.actions.report"])
        prepare_streams = report_class._render_qweb_pdf_prepare_streams
        run_wkhtmltopdf = report_class._run_wkhtmltopdf
        renderings, runs = Counter(), []

        def counting_streams(report, report_ref, data, res_ids=None):
            renderings.update(res_ids or [])
            return prepare_streams(report, report_ref, data, res_ids=res_ids)

        def counting_runs(report, bodies, *args, **kwargs):
            runs.append(len(bodies))
            return run_wkhtmltopdf(report, bodies, *args, **kwargs)

        with (
            patch.object(report_class, "_render_qweb_pdf_prepare_streams", counting_streams),
            patch.object(report_class, "_run_wkhtmltopdf", counting_runs),
        ):
            yield renderings, runs

    def send_and_print(self, invoices):
        # Real PDFs, as on a server (tests otherwise get the report's HTML).
        self.env["account.move.send"].with_context(
            force_report_rendering=True
        )._generate_and_send_invoices(invoices, sending_methods={"chorus_pro"})

    def test_send_and_print_renders_each_pdf_once_and_sends_that_pdf(self):
        self.company.chorus_syntax = UBL
        invoices = self._invoice(self.town) | self._invoice(self.hospital)
        with self.count_renderings() as (renderings, _runs):
            self.send_and_print(invoices)
        self.assertEqual(invoices.mapped("chorus_state"), ["sent", "sent"])
        self.assertEqual(renderings, Counter({invoice.id: 1 for invoice in invoices}))
        for invoice in invoices:
            document = etree.fromstring(invoice.chorus_sent_attachment_id.raw)
            (embedded,) = document.xpath(EMBEDDED_PDF)
            self.assertEqual(
                base64.b64decode(embedded.text),
                invoice.invoice_pdf_report_id.raw,
                f"{invoice.name}: Chorus Pro gets the PDF the customer's copy shows",
            )

    def test_cii_is_checked_and_sent_without_rendering_a_pdf(self):
        self.company.chorus_syntax = CII
        invoices = self._invoice(self.town) | self._invoice(self.hospital)
        with self.count_renderings() as (renderings, runs):
            send = self.env["account.move.send"]
            moves_data = {
                invoice: send._get_default_sending_settings(invoice, sending_methods={"chorus_pro"})
                for invoice in invoices
            }
            self.assertNotIn("chorus_pro_dilifac_invalid", send._get_alerts(invoices, moves_data))
            self.assertFalse(invoices._chorus_send())
        self.assertEqual(invoices.mapped("chorus_state"), ["sent", "sent"])
        self.assertFalse(renderings, "a CII carries no PDF: none is rendered")
        self.assertFalse(runs)
        self.assertTrue(
            invoices.chorus_sent_attachment_id.mapped("raw")[0].lstrip().startswith(b"<?xml")
        )

    def test_send_and_print_in_cii_renders_only_the_customers_copy(self):
        self.company.chorus_syntax = CII
        invoices = self._invoice(self.town) | self._invoice(self.hospital)
        with self.count_renderings() as (renderings, _runs):
            self.send_and_print(invoices)
        self.assertEqual(invoices.mapped("chorus_state"), ["sent", "sent"])
        self.assertEqual(renderings, Counter({invoice.id: 1 for invoice in invoices}))
        self.assertTrue(all(invoices.mapped("invoice_pdf_report_id")))

    def test_missing_pdfs_are_rendered_together_when_wkhtmltopdf_can(self):
        invoices = (
            self._invoice(self.town)
            | self._invoice(self.hospital)
            | self._invoice(self.state_buyer)
        )
        with self.count_renderings() as (renderings, runs):
            pdfs = invoices._chorus_invoice_pdfs()
        self.assertEqual(renderings, Counter({invoice.id: 1 for invoice in invoices}))
        # One run for the three with a patched-Qt build, one run each otherwise.
        self.assertEqual(runs, [3] if wkhtmltopdf_renders_batches() else [1, 1, 1])
        self.assertEqual(len(set(pdfs.values())), 3, "each invoice gets its own PDF")
        self.assertTrue(all(pdf.startswith(b"%PDF-") for pdf in pdfs.values()))
