import logging

from odoo import _, models
from odoo.exceptions import UserError
from stdnum.fr import siret as stdnum_siret

from ..lib.codes import (
    CREDIT_TRANSFER_CODES,
    ENGAGEMENT_MAX_LENGTH,
    FORBIDDEN_SERVICE_CODES,
    MARKET_MAX_LENGTH,
)
from ..lib.filenames import chorus_file_name, safe_file_name
from ..lib.validation_pool import pool_for

_logger = logging.getLogger(__name__)

SYNTAX_UBL = "IN_DP_E1_UBL_INVOICE"
SYNTAX_CII = "IN_DP_E1_CII_16B"
SYNTAX_FACTURX = "IN_DP_E2_CII_FACTURX"
# A single attachment may weigh at most 10 MB on Chorus Pro (chorus-pro.md §3.2).
ATTACHMENT_MAX_BYTES = 10_000_000
# Chorus Pro's own SIRET scheme '1' (§5.5) is not an ISO 6523 code, which the EN 16931
# rules below require. Chorus Pro accepts it, so these findings, at the SIRET only, are
# reported as warnings when the company uses scheme '1'.
SCHEME_1_RULES = {"BR-CL-10", "BR-CL-11", "FX-SCH-A-000569", "FX-SCH-A-000581"}
SIRET_LOCATIONS = ("PartyIdentification[1]/ID[1]", "SpecifiedLegalOrganization[1]/ID[1]")


class AccountMove(models.Model):
    _inherit = "account.move"

    # -------------------------------------------------------------------------
    # Chorus Pro rules (chorus-pro.md §5.6)
    # -------------------------------------------------------------------------

    def _chorus_field_label(self, record, field_name):
        return record._fields[field_name]._description_string(self.env)

    def _chorus_check_before_sending(self, dilifac=None):
        """Chorus Pro's own rules, checked before any document is built.

        :param dilifac: also check the Dilifac routing GLNs; None means "when the
            company sends through Dilifac".
        :return: {move: [message, ...]} for the moves with problems only.
        """
        problems = {}
        for move in self:
            errors = move._chorus_rule_errors(
                move.company_id.chorus_transport == "dilifac" if dilifac is None else dilifac
            )
            if errors:
                problems[move] = errors
        return problems

    def _chorus_rule_errors(self, dilifac):
        self.ensure_one()
        company = self.company_id
        partner = self.commercial_partner_id
        errors = []

        def error(problem, record, field_name):
            errors.append(
                _(
                    "Invoice %(invoice)s (%(partner)s): %(problem)s (field '%(field)s').",
                    invoice=self.name,
                    partner=partner.display_name,
                    problem=problem,
                    field=self._chorus_field_label(record, field_name),
                )
            )

        if self.move_type not in ("out_invoice", "out_refund") or self.state != "posted":
            error(
                _("only posted customer invoices and credit notes go to Chorus Pro"), self, "state"
            )
            return errors
        if not company.siret:
            error(_("your company has no SIRET"), company, "siret")
        if not partner.siret:
            error(_("the public buyer has no SIRET"), partner, "siret")
        elif not stdnum_siret.is_valid(partner.siret):
            error(_("the buyer's SIRET %s is not valid", partner.siret), partner, "siret")
        if partner.chorus_directory_checked_on and not partner.chorus_structure_active:
            error(
                _("the Chorus Pro directory says this structure is not active"),
                partner,
                "chorus_structure_active",
            )

        service_code = (self.buyer_reference or "").strip()
        service = partner.chorus_service_ids.filtered(lambda s: s.code == service_code)[:1]
        if not service_code:
            if partner.chorus_service_required:
                error(
                    _("the service code is required by this public buyer"), self, "buyer_reference"
                )
        elif service_code in FORBIDDEN_SERVICE_CODES:
            error(
                _("the service %s is reserved for invoices between public bodies", service_code),
                self,
                "buyer_reference",
            )
        elif partner.chorus_service_ids:
            if not service.is_active:
                error(
                    _("%s is not an active service of this structure in Chorus Pro", service_code),
                    self,
                    "buyer_reference",
                )
        elif partner.chorus_directory_checked_on:
            error(
                _(
                    "the Chorus Pro directory lists no service for this structure: "
                    "leave the service code empty"
                ),
                self,
                "buyer_reference",
            )

        engagement = (self.purchase_order_reference or "").strip()
        if not engagement:
            if partner.chorus_engagement_required or service.engagement_required:
                error(
                    _("the engagement number is required by this public buyer"),
                    self,
                    "purchase_order_reference",
                )
            elif partner.chorus_service_or_engagement and not service_code:
                error(
                    _("this public buyer requires a service code or an engagement number"),
                    self,
                    "purchase_order_reference",
                )
        elif len(engagement) > ENGAGEMENT_MAX_LENGTH:
            error(
                _("the engagement number exceeds %s characters", ENGAGEMENT_MAX_LENGTH),
                self,
                "purchase_order_reference",
            )
        if len((self.contract_reference or "").strip()) > MARKET_MAX_LENGTH:
            error(
                _("the market number exceeds %s characters", MARKET_MAX_LENGTH),
                self,
                "contract_reference",
            )

        if self.currency_id.name != "EUR":
            error(_("Chorus Pro takes invoices in EUR only"), self, "currency_id")
        if self.chorus_cadre == "A2" and not self.currency_id.is_zero(self.amount_residual):
            error(_("cadre A2 is for invoices already paid in full"), self, "chorus_cadre")
        if self.move_type == "out_invoice" and self.chorus_payment_means in CREDIT_TRANSFER_CODES:
            bank = company.chorus_bank_account_id
            if not bank or bank.acc_type != "iban":
                error(
                    _(
                        "a credit transfer needs the company's bank account for Chorus Pro, "
                        "with an IBAN"
                    ),
                    company,
                    "chorus_bank_account_id",
                )

        if dilifac:
            if not company.chorus_dilifac_gln:
                error(
                    _("sending through Dilifac needs your company's Dilifac GLN"),
                    company,
                    "chorus_dilifac_gln",
                )
            if not self.chorus_buyer_gln:
                error(_("sending through Dilifac needs the recipient's GLN"), partner, "chorus_gln")
        return errors

    # -------------------------------------------------------------------------
    # Documents
    # -------------------------------------------------------------------------

    def _chorus_prepaid_and_due(self):
        """(prepaid, due) amounts written in the documents.

        A credit note is reconciled with the invoice it credits as soon as it is
        posted: that is the supplier's own bookkeeping, not a payment by the buyer, so
        the whole credit note stays due.
        """
        self.ensure_one()
        if self.move_type == "out_refund":
            return 0.0, self.amount_total
        return self.amount_total - self.amount_residual, self.amount_residual

    def _chorus_pdf_name(self):
        return safe_file_name(self.name, ".pdf")

    def _chorus_build_document(self, syntax=None, dilifac=False, with_pdf=True):
        """(filename, bytes) of the document deposited for this invoice.

        The invoice PDF goes inside the UBL (AdditionalDocumentReference) when
        ``with_pdf``; Factur-X always needs it.
        """
        filename, content, _errors = self._chorus_build_document_and_errors(
            syntax, dilifac, with_pdf
        )
        return filename, content

    def _chorus_build_document_and_errors(
        self, syntax=None, dilifac=False, with_pdf=True, pdf=None
    ):
        """(filename, bytes, builder errors); ``pdf`` spares a rendering when known."""
        self.ensure_one()
        syntax = syntax or self.company_id.chorus_syntax
        filename = chorus_file_name(self.name, syntax, attempt=self.chorus_attempt or 1)
        if pdf is None and self._chorus_syntax_carries_pdf(syntax, with_pdf):
            pdf = self._chorus_invoice_pdfs()[self]
        if syntax == SYNTAX_UBL:
            builder = self.env["account.edi.xml.ubl_chorus"].with_context(
                chorus_dilifac=dilifac,
                chorus_pdf=(self._chorus_pdf_name(), pdf) if with_pdf and pdf else None,
            )
            content, errors = builder._export_invoice(self)
        elif syntax in (SYNTAX_CII, SYNTAX_FACTURX):
            builder = self.env["account.edi.xml.cii_chorus"]
            content, errors = builder._export_invoice(self)
            if syntax == SYNTAX_FACTURX:
                content = builder._chorus_facturx_pdf(self, pdf, content)
        else:
            raise UserError(_("Chorus Pro format %s is not supported.", syntax))
        return filename, content, sorted(errors)

    def _chorus_validation_messages(self, report):
        """(errors, warnings) as text, with the scheme-1 waiver applied."""
        scheme_1 = self.company_id.chorus_siret_scheme == "1"
        errors, warnings = [], []
        for finding in report.errors:
            waived = (
                scheme_1
                and finding.rule_id in SCHEME_1_RULES
                and finding.location.endswith(SIRET_LOCATIONS)
            )
            text = f"[{finding.rule_id}] {finding.message} ({finding.location})"
            (warnings if waived else errors).append(text)
        warnings += [f"[{f.rule_id}] {f.message} ({f.location})" for f in report.warnings]
        return errors, warnings

    def _chorus_prepare_documents(self, syntax=None, dilifac=False, with_pdf=True):
        """Check, build and validate the document of each invoice.

        :return: {move: {'filename', 'content', 'errors', 'warnings'}}; a move with
            errors must not be sent, the others can go on. ``content`` is None when
            the Chorus rules failed (nothing was built).
        """
        problems = self._chorus_check_before_sending(dilifac=dilifac)
        buildable = self.filtered(lambda m: m not in problems)
        needs_pdf = buildable.filtered(lambda m: m._chorus_syntax_carries_pdf(syntax, with_pdf))
        pdfs = needs_pdf._chorus_invoice_pdfs() if needs_pdf else {}
        validator = pool_for(len(buildable))
        prepared, validations = {}, {}
        for move in self:
            move_syntax = syntax or move.company_id.chorus_syntax
            if move in problems:
                prepared[move] = {
                    "filename": chorus_file_name(
                        move.name, move_syntax, attempt=move.chorus_attempt or 1
                    ),
                    "content": None,
                    "errors": problems[move],
                    "warnings": [],
                }
                continue
            pdf = pdfs.get(move)
            errors = []
            if pdf and len(pdf) > ATTACHMENT_MAX_BYTES:
                errors.append(
                    _(
                        "Invoice %(invoice)s: its PDF weighs %(size).1f MB, more than the "
                        "%(limit)d MB Chorus Pro accepts.",
                        invoice=move.name,
                        size=len(pdf) / 1_000_000,
                        limit=ATTACHMENT_MAX_BYTES // 1_000_000,
                    )
                )
            try:
                filename, content, builder_errors = move._chorus_build_document_and_errors(
                    move_syntax, dilifac, with_pdf, pdf=pdf or False
                )
            except Exception as exc:  # one broken invoice must not stop the batch
                _logger.exception("Chorus Pro document of %s could not be built", move.name)
                prepared[move] = {
                    "filename": chorus_file_name(
                        move.name, move_syntax, attempt=move.chorus_attempt or 1
                    ),
                    "content": None,
                    "errors": errors
                    + [
                        _(
                            "Invoice %(invoice)s: the document could not be built: %(error)s",
                            invoice=move.name,
                            error=exc,
                        )
                    ],
                    "warnings": [],
                }
                continue
            errors += [
                _("Invoice %(invoice)s: %(error)s", invoice=move.name, error=error)
                for error in builder_errors
            ]
            # Validated by the pool while the next documents are built.
            validations[move] = validator.submit(content, move_syntax)
            prepared[move] = {
                "filename": filename,
                "content": content,
                "errors": errors,
                "warnings": [],
            }
        for move, validation in validations.items():
            validation_errors, warnings = move._chorus_validation_messages(validation.result())
            prepared[move]["errors"] += [
                _(
                    "Invoice %(invoice)s: the document fails rule %(rule)s",
                    invoice=move.name,
                    rule=error,
                )
                for error in validation_errors
            ]
            prepared[move]["warnings"] = warnings
        return prepared

    def _chorus_raise_if_errors(self, prepared):
        """One UserError listing every invoice's errors, for interactive use."""
        lines = [error for data in prepared.values() for error in data["errors"]]
        if lines:
            raise UserError(
                _("These invoices cannot be sent to Chorus Pro:")
                + "\n"
                + "\n".join(f"- {line}" for line in lines)
            )
