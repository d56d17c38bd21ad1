import base64
import hashlib
import io
import re

from lxml import etree
from odoo.tests import tagged
from PyPDF2 import PdfReader

from .common import ChorusApiSandboxCommon

MENTION = "Duplicata – document dématérialisé le"


def pdf_text(content):
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text)


@tagged("post_install", "-at_install")
class TestChorusDuplicata(ChorusApiSandboxCommon):
    def printed(self, invoice):
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        content, _report_type = report._render_qweb_pdf("account.account_invoices", invoice.ids)
        return content

    def test_printed_pdf_of_a_sent_invoice_is_a_duplicata(self):
        never_sent = self._invoice(self.town)
        self.assertNotIn("Duplicata", pdf_text(self.printed(never_sent)))
        html, _report_type = self.env["ir.actions.report"]._render_qweb_html(
            "account.account_invoices", never_sent.ids
        )
        self.assertIn(never_sent.name, html.decode())
        self.assertNotIn("Duplicata", html.decode())

        invoice = self._invoice(self.town)
        # Odoo's stored invoice PDF, rendered before the sending (as Send & Print does).
        invoice.invoice_pdf_report_file = base64.b64encode(self.printed(invoice))
        self.assertTrue(invoice.invoice_pdf_report_id)
        self.assertFalse(invoice._chorus_send())
        self.assertTrue(invoice.chorus_sent_on)
        date = invoice.chorus_duplicata_date.strftime("%m/%d/%Y")

        text = pdf_text(self.printed(invoice))
        self.assertIn(f"{MENTION} {date}", text)
        legal = invoice.with_context(force_report_rendering=True)
        legal = legal._get_invoice_legal_documents("pdf")
        self.assertIn(MENTION, pdf_text(legal["content"]), "downloads are reprinted too")
        self.assertNotIn("Duplicata", pdf_text(invoice.invoice_pdf_report_id.raw))

        # The transmitted document is the original: unchanged, without the mention.
        sent = invoice.chorus_sent_attachment_id
        self.assertEqual(hashlib.sha256(sent.raw).hexdigest(), invoice.chorus_sent_checksum)
        embedded = etree.fromstring(sent.raw).xpath(
            "//*[local-name()='EmbeddedDocumentBinaryObject']"
        )
        self.assertTrue(embedded)
        self.assertNotIn("Duplicata", pdf_text(base64.b64decode(embedded[0].text)))
