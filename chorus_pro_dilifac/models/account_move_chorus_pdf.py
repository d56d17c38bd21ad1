"""The invoice PDF that goes with a Chorus Pro document: found when Send & Print or the
invoice already has it, otherwise rendered, a chunk of invoices per wkhtmltopdf run when the
binary allows it. Only the syntaxes that carry a PDF ask for one."""

import subprocess

from odoo import models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin
from odoo.tools import split_every

from .account_move_chorus_documents import SYNTAX_FACTURX, SYNTAX_UBL


def wkhtmltopdf_renders_batches():
    """True when Odoo's wkhtmltopdf is a "patched qt" build, the only kind that renders
    several documents in one run (Odoo checks the same string in its report tests)."""
    binary = _get_wkhtmltopdf_bin()
    if binary not in _BATCH_CAPABLE:
        try:
            version = subprocess.run(
                [binary, "--version"], capture_output=True, timeout=30, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError, TypeError):
            version = b""
        _BATCH_CAPABLE[binary] = b"with patched qt" in version.lower()
    return _BATCH_CAPABLE[binary]


_BATCH_CAPABLE = {}


class AccountMove(models.Model):
    _inherit = "account.move"

    def _chorus_syntax_carries_pdf(self, syntax, with_pdf=True):
        """Whether the document of ``syntax`` holds the invoice PDF: a Factur-X is one, a UBL
        embeds it unless ``with_pdf`` is False, a CII (E1, data only) never does."""
        syntax = syntax or self.company_id.chorus_syntax
        return syntax == SYNTAX_FACTURX or (syntax == SYNTAX_UBL and bool(with_pdf))

    def _chorus_invoice_pdfs(self):
        """{move: PDF bytes}, rendering only what is not known yet.

        Known PDFs, in this order: the ones Send & Print just rendered (handed over in the
        context, see account.move.send: its documents are linked only after our hook), then
        the invoice PDF stored on the invoice. The others are rendered by
        ``_chorus_render_pdfs``, several per wkhtmltopdf run when the binary allows it.
        """
        rendered = dict(self.env.context.get("chorus_rendered_pdfs") or ())
        pdfs = {}
        for move in self:
            if rendered.get(move.id):
                pdfs[move] = rendered[move.id]
            elif move.invoice_pdf_report_id:
                pdfs[move] = move.invoice_pdf_report_id.raw
        missing = self.filtered(lambda m: m not in pdfs)
        if missing:
            pdfs.update(missing._chorus_render_pdfs())
        return pdfs

    def _chorus_render_pdfs(self):
        """{move: PDF bytes} rendered now with the report Send & Print would use.

        A wkhtmltopdf built with patched Qt renders a chunk of invoices in one run (Odoo
        splits the result per invoice); any other build gets one invoice per run, since it
        cannot render several documents at once. The chunk size is the system parameter
        ``chorus_pro_dilifac.pdf_batch_size`` (default: Odoo's own
        ``account.pdf_generation_batch``, 80).
        """
        params = self.env["ir.config_parameter"].sudo()
        size = 1
        if len(self) > 1 and wkhtmltopdf_renders_batches():
            size = int(
                params.get_param(
                    "chorus_pro_dilifac.pdf_batch_size",
                    params.get_param("account.pdf_generation_batch", "80"),
                )
            )
        send = self.env["account.move.send"]
        pdfs = {}
        by_report = {}
        for move in self:
            report = send._get_default_pdf_report_id(move)
            by_report.setdefault((report, move.company_id), []).append(move.id)
        for (report, company), ids in by_report.items():
            renderer = (
                self.env["ir.actions.report"]
                .with_company(company)
                .with_context(force_report_rendering=True)
            )
            for chunk in split_every(max(size, 1), ids):
                pdfs.update(self.browse(chunk)._chorus_render_pdf_chunk(renderer, report))
        return pdfs

    def _chorus_render_pdf_chunk(self, renderer, report):
        content, report_type = renderer._pre_render_qweb_pdf(report.report_name, res_ids=self.ids)
        by_id = renderer._get_splitted_report(report.report_name, content, report_type)
        if len(self) > 1 and not all(by_id.get(move_id) for move_id in self.ids):
            # Odoo could not split the run per invoice: one run per invoice instead.
            by_id = {}
            for move in self:
                content, report_type = renderer._pre_render_qweb_pdf(
                    report.report_name, res_ids=move.ids
                )
                by_id.update(
                    renderer._get_splitted_report(report.report_name, content, report_type)
                )
        return {move: by_id[move.id] for move in self}
