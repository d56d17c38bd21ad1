from odoo import _, api, models

from ..lib.chorus_status import SENDABLE


class AccountMoveSend(models.AbstractModel):
    """'by Chorus Pro' in Send & Print: the invoice PDF is rendered by Odoo as usual, then
    the Chorus document is built, validated and handed to the company's transport."""

    _inherit = "account.move.send"

    @api.model
    def _is_applicable_to_company(self, method, company):
        if method == "chorus_pro":
            return company.chorus_transport in ("api", "dilifac")
        return super()._is_applicable_to_company(method, company)

    @api.model
    def _get_default_sending_method(self, move):
        # The invoice's "Send to Chorus Pro" button opens Send & Print with Chorus Pro ticked.
        if self.env.context.get("chorus_pro_preselect") and self._is_applicable_to_move(
            "chorus_pro", move
        ):
            return "chorus_pro"
        return super()._get_default_sending_method(move)

    @api.model
    def _is_applicable_to_move(self, method, move, **move_data):
        if method == "chorus_pro":
            return (
                self._is_applicable_to_company(method, move.company_id)
                and move.move_type in ("out_invoice", "out_refund")
                and move.chorus_state in (*SENDABLE, "sending")
            )
        return super()._is_applicable_to_move(method, move, **move_data)

    def _get_alerts(self, moves, moves_data):
        alerts = super()._get_alerts(moves, moves_data)
        chorus_moves = moves.filtered(
            lambda m: (
                "chorus_pro" in moves_data[m]["sending_methods"]
                and self._is_applicable_to_move("chorus_pro", m)
            )
        )
        problems = chorus_moves._chorus_check_before_sending() if chorus_moves else {}
        if problems:
            alerts["chorus_pro_dilifac_invalid"] = {
                "level": "danger",
                "message": "\n".join(
                    message for messages in problems.values() for message in messages
                ),
                "action_text": _("View invoice(s)"),
                "action": self.env["account.move"]
                .browse([move.id for move in problems])
                ._get_records_action(name=_("Invoices to correct")),
            }
        return alerts

    def _call_web_service_after_invoice_pdf_render(self, invoices_data):
        super()._call_web_service_after_invoice_pdf_render(invoices_data)
        to_send = self.env["account.move"].browse(
            [
                invoice.id
                for invoice, data in invoices_data.items()
                if "chorus_pro" in data["sending_methods"]
                and self._is_applicable_to_move("chorus_pro", invoice, **data)
            ]
        )
        if not to_send:
            return
        # Odoo links the PDFs it just rendered only after this hook: hand them over, so
        # that no invoice is rendered twice (only real PDFs: tests render HTML instead).
        rendered = {
            invoice.id: values["raw"]
            for invoice, data in invoices_data.items()
            if (values := data.get("pdf_attachment_values"))
            and isinstance(values.get("raw"), bytes)
            and values["raw"][:5] == b"%PDF-"
        }
        failures = {}
        for chunk in self._chorus_send_chunks(to_send):
            failures.update(
                chunk.with_context(
                    chorus_rendered_pdfs=tuple(
                        (move_id, rendered[move_id]) for move_id in chunk.ids if move_id in rendered
                    )
                )._chorus_send()
            )
        for invoice, errors in failures.items():
            invoices_data[invoice]["error"] = {
                # Each error names the invoice already.
                "error_title": _("Not sent to Chorus Pro"),
                "errors": errors,
            }

    @api.model
    def _chorus_send_chunks(self, moves):
        """``moves`` in chunks of ``chorus_pro_dilifac.send_batch_size`` invoices (100):
        each chunk is built, validated and deposited (one flow) before the next, and the
        record cache is emptied between chunks, so memory does not grow with the batch."""
        size = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("chorus_pro_dilifac.send_batch_size", "100")
        )
        ids = moves.ids
        for start in range(0, len(ids), max(size, 1)):
            if start:
                self.env.invalidate_all()
            yield moves.browse(ids[start : start + size])
