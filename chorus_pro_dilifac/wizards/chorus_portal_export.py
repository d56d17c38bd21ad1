import base64
from collections import defaultdict
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..lib.codes import PAYMENT_MEANS
from ..lib.portal_file import (
    PORTAL_FILENAME,
    PortalBuyer,
    PortalInvoice,
    PortalSupplier,
    PortalVatLine,
    split_portal_files,
)
from .dialog import reopen


class ChorusProPortalExport(models.TransientModel):
    """The "XML mixte" files (IN_DP_E2_CPP_FACTURE_MIN) to upload by hand on the Chorus
    Pro portal: the selected invoices, each with its PDF, in as few files as fit under the
    portal's size limit (a company setting), one payment means per file."""

    _name = "chorus.pro.portal.export"
    _description = "Chorus Pro portal file export"

    line_ids = fields.One2many("chorus.pro.portal.export.line", "wizard_id", string="Invoices")
    payment_means = fields.Selection(
        PAYMENT_MEANS,
        string="Payment means for all",
        help="Sets the payment means of every invoice below (credit notes carry none). "
        "Each file declares one payment means: invoices paid differently go in "
        "separate files.",
    )
    mark_as_sent = fields.Boolean(
        string="Mark as sent",
        help="Once the file is downloaded, the exported invoices wait for Chorus Pro's answer.",
    )
    missing_count = fields.Integer(compute="_compute_missing_count")
    file_ids = fields.One2many("chorus.pro.portal.export.file", "wizard_id", string="Files")
    file_data = fields.Binary(
        string="File", related="file_ids.data", help="The first file (the only one, mostly)."
    )
    file_name = fields.Char(related="file_ids.name")
    size_warning = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.move" and "line_ids" in fields_list:
            moves = self.env["account.move"].browse(self.env.context.get("active_ids", []))
            moves = moves.filtered(
                lambda m: m.move_type in ("out_invoice", "out_refund")
                and m.state == "posted"
                # Already on its way (API, Dilifac or an earlier export): never twice.
                and m.chorus_state in ("not_concerned", "to_transmit", "error")
            )
            if not moves:
                raise UserError(
                    _(
                        "Select posted customer invoices or credit notes that were not "
                        "transmitted yet."
                    )
                )
            values["line_ids"] = [Command.create({"move_id": move.id}) for move in moves]
        return values

    @api.onchange("payment_means")
    def _onchange_payment_means(self):
        if self.payment_means:
            invoices = self.line_ids.filtered(lambda line: line.move_id.move_type == "out_invoice")
            invoices.payment_means = self.payment_means

    @api.depends("line_ids.missing", "line_ids.include")
    def _compute_missing_count(self):
        for wizard in self:
            wizard.missing_count = len(
                wizard.line_ids.filtered(lambda line: line.include and line.missing)
            )

    def _reopen(self):
        return reopen(self, _("Chorus Pro portal file"))

    def _portal_invoice(self, move, pdf):
        partner = move.commercial_partner_id
        service = partner.chorus_service_ids.filtered(lambda s: s.code == move.buyer_reference)[:1]
        vat = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for line in move.line_ids.filtered("tax_line_id"):
            amounts = vat[line.tax_line_id.amount]
            amounts[0] += Decimal(str(abs(line.tax_base_amount)))
            amounts[1] += Decimal(str(abs(line.amount_currency)))
        _prepaid, due = move._chorus_prepaid_and_due()
        return PortalInvoice(
            number=move.name,
            type_code="381" if move.move_type == "out_refund" else "380",
            issue_date=move.invoice_date,
            supplier=PortalSupplier(identifier=move.company_id.siret, name=move.company_id.name),
            buyer=PortalBuyer(
                identifier=partner.siret,
                name=partner.name,
                service_code=move.buyer_reference or "",
                service_name=service.name or "",
            ),
            amount_untaxed=move.amount_untaxed,
            amount_total=move.amount_total,
            amount_due=due,
            pdf_bytes=pdf,
            pdf_name=move._chorus_pdf_name(),
            vat_lines=[
                PortalVatLine(Decimal(str(rate)), base, amount)
                for rate, (base, amount) in sorted(vat.items())
            ],
            cadre=move.chorus_cadre or "A1",
            payment_means_code="" if move.move_type == "out_refund" else move.chorus_payment_means,
            currency=move.currency_id.name,
            engagement_number=move.purchase_order_reference or "",
            market_number=move.contract_reference or "",
        )

    def action_export(self):
        self.ensure_one()
        lines = self.line_ids.filtered("include")
        if not lines:
            raise UserError(_("Keep at least one invoice in the file."))
        moves = lines.move_id
        if self.payment_means:
            self._onchange_payment_means()
        # The means declared in the file is the invoice's means from now on.
        for line in lines.filtered(lambda line: line.move_id.move_type == "out_invoice"):
            line.move_id.chorus_payment_means = line.payment_means or "30"
        problems = moves._chorus_check_before_sending(dilifac=False)
        if problems:
            moves._chorus_raise_if_errors(
                {move: {"errors": errors} for move, errors in problems.items()}
            )
        pdfs = moves._chorus_invoice_pdfs()
        now = fields.Datetime.now()
        limit = int((self.env.company.chorus_portal_file_limit or 4.0) * 1_000_000)
        # One payment means per file. Credit notes declare none: they go with the
        # invoices of the first means (or alone when there is no invoice).
        groups = defaultdict(lambda: self.env["account.move"])
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        for move in invoices:
            groups[move.chorus_payment_means] |= move
        groups[invoices[:1].chorus_payment_means or ""] |= moves - invoices
        files = []
        for means, group in sorted(groups.items()):
            by_number = {move.name: move for move in group}
            for batch, content in split_portal_files(
                [self._portal_invoice(move, pdfs[move]) for move in group],
                limit,
                production_date=fields.Date.context_today(self),
                flow_id=int(now.strftime("%Y%m%d%H%M%S")) * 100 + len(files),
            ):
                files.append((means, [by_number[i.number] for i in batch], content))
        too_big = [
            (batch, content) for _means, batch, content in files if len(content) > limit
        ]
        self.file_ids = [Command.clear()] + [
            Command.create(
                {
                    "name": PORTAL_FILENAME
                    if len(files) == 1
                    else PORTAL_FILENAME.replace(".xml", f"_{number}.xml"),
                    "data": base64.b64encode(content),
                    "size": len(content),
                    "payment_means": means or False,
                    "move_ids": [Command.set([m.id for m in batch])],
                }
            )
            for number, (means, batch, content) in enumerate(files, start=1)
        ]
        self.size_warning = bool(too_big) and _(
            "%(invoices)s: alone, the file weighs more than the %(limit)g MB the portal "
            "accepts (Settings > Chorus Pro). Lighten its PDF, or deposit it another way.",
            invoices=", ".join(m.name for batch, _c in too_big for m in batch),
            limit=limit / 1_000_000,
        )
        if self.mark_as_sent:
            for file in self.file_ids:
                for move in file.move_ids:
                    move._chorus_apply_event(
                        "odoo",
                        "PORTAL_EXPORT",
                        label=_("Exported in the Chorus Pro portal file %s", file.name),
                        state="sent",
                    )
                file.move_ids.write(
                    {
                        "chorus_sent_on": now,
                        "chorus_sent_transport": "portal",
                        "chorus_sent_filename": file.name,
                    }
                )
        return self._reopen()


class ChorusProPortalExportLine(models.TransientModel):
    _name = "chorus.pro.portal.export.line"
    _description = "Invoice of a Chorus Pro portal file"

    wizard_id = fields.Many2one("chorus.pro.portal.export", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", string="Invoice", required=True, ondelete="cascade")
    # The number alone: the invoice's display name adds its reference, too wide a column.
    move_name = fields.Char(related="move_id.name", string="Invoice number")
    include = fields.Boolean(default=True)
    partner_id = fields.Many2one(related="move_id.commercial_partner_id", string="Buyer")
    buyer_siret = fields.Char(related="move_id.commercial_partner_id.siret", string="Buyer SIRET")
    service_code = fields.Char(related="move_id.buyer_reference", string="Service code")
    engagement_number = fields.Char(
        related="move_id.purchase_order_reference", string="Engagement number"
    )
    amount_total = fields.Monetary(related="move_id.amount_total", string="Total")
    currency_id = fields.Many2one(related="move_id.currency_id")
    payment_means = fields.Selection(
        PAYMENT_MEANS,
        string="Payment means",
        compute="_compute_payment_means",
        store=True,
        readonly=False,
        precompute=True,
    )
    missing = fields.Char(compute="_compute_missing")

    @api.depends("move_id")
    def _compute_payment_means(self):
        for line in self:
            line.payment_means = (
                False
                if line.move_id.move_type == "out_refund"
                else line.move_id.chorus_payment_means or "30"
            )

    @api.depends(
        "buyer_siret",
        "service_code",
        "engagement_number",
        "partner_id.chorus_service_required",
        "partner_id.chorus_engagement_required",
        "partner_id.chorus_service_or_engagement",
    )
    def _compute_missing(self):
        """What the portal refuses an invoice without, as the buyer's settings say."""
        for line in self:
            partner = line.partner_id
            service = partner.chorus_service_ids.filtered(
                lambda s, code=line.service_code: s.code == code
            )[:1]
            missing = []
            if not line.buyer_siret:
                missing.append(_("buyer SIRET"))
            if not line.service_code and (
                partner.chorus_service_required
                or (partner.chorus_service_or_engagement and not line.engagement_number)
            ):
                missing.append(_("service code"))
            if not line.engagement_number and (
                partner.chorus_engagement_required or service.engagement_required
            ):
                missing.append(_("engagement number"))
            line.missing = _("MISSING: %s", ", ".join(missing)) if missing else False

    def action_open_invoice(self):
        return self.move_id._get_records_action(target="new")

    def action_open_partner(self):
        return self.partner_id._get_records_action(target="new")


class ChorusProPortalExportFile(models.TransientModel):
    _name = "chorus.pro.portal.export.file"
    _description = "One file of a Chorus Pro portal export"
    _order = "id"

    wizard_id = fields.Many2one("chorus.pro.portal.export", required=True, ondelete="cascade")
    name = fields.Char(string="File name", readonly=True)
    data = fields.Binary(string="File", readonly=True, attachment=False)
    size = fields.Integer(string="Size (bytes)", readonly=True)
    payment_means = fields.Selection(PAYMENT_MEANS, string="Payment means", readonly=True)
    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    invoice_count = fields.Integer(compute="_compute_invoice_count", string="Invoice count")

    @api.depends("move_ids")
    def _compute_invoice_count(self):
        for file in self:
            file.invoice_count = len(file.move_ids)
