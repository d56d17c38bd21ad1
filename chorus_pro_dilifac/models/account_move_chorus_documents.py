import logging

from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools import float_repr, html2plaintext, is_html_empty
from stdnum.fr import siret as stdnum_siret

from ..lib.codes import (
    CREDIT_TRANSFER_CODES,
    ENGAGEMENT_MAX_LENGTH,
    FORBIDDEN_SERVICE_CODES,
    MARKET_MAX_LENGTH,
    NOTE_SUBJECT_CODES,
    SERVICE_CODE_MAX_LENGTH,
    SYNTAX_CII,
    SYNTAX_FACTURX,
    SYNTAX_UBL,
    recipient_gln,
)
from ..lib.filenames import chorus_file_name, safe_file_name
from ..lib.validation import ValidationUnavailable
from ..lib.validation_pool import pool_for
from .account_edi_common import edi_memo

_logger = logging.getLogger(__name__)

GLN_SCHEME = "0088"
SIRET_EAS = "0009"
# A single attachment may weigh at most 10 MB on Chorus Pro (chorus-pro.md §3.2).
ATTACHMENT_MAX_BYTES = 10_000_000
# Chorus Pro's own SIRET scheme '1' (§5.5) is not an ISO 6523 code, which the EN 16931
# rules below require. Chorus Pro accepts it, so these findings, at the SIRET only, are
# reported as warnings when the company uses scheme '1'.
SCHEME_1_RULES = {"BR-CL-10", "BR-CL-11", "FX-SCH-A-000569", "FX-SCH-A-000581"}
SCHEME_1_SYNTAXES = (SYNTAX_UBL, SYNTAX_CII)
SIRET_LOCATIONS = (
    "PartyIdentification[1]/ID[1]",
    "PartyLegalEntity[1]/CompanyID[1]",
    "SpecifiedLegalOrganization[1]/ID[1]",
)


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
        """The messages of every failed pre-send rule, each naming the invoice and field.

        One small check per rule (like ``_export_invoice_constraints`` in
        account_edi_ubl_cii): each returns ``[(problem, record, field_name), ...]``.
        """
        self.ensure_one()
        problems = self._chorus_check_move_type()
        if not problems:
            for check in self._chorus_pre_send_checks(dilifac):
                problems += check()
        partner = self.commercial_partner_id
        return [
            _(
                "Invoice %(invoice)s (%(partner)s): %(problem)s (field '%(field)s').",
                invoice=self.name,
                partner=partner.display_name,
                problem=problem,
                field=self._chorus_field_label(record, field_name),
            )
            for problem, record, field_name in problems
        ]

    def _chorus_pre_send_checks(self, dilifac):
        """The rules of chorus-pro.md §5.6 in the order their messages are listed."""
        checks = [
            self._chorus_check_company_siret,
            self._chorus_check_buyer_siret,
            self._chorus_check_structure_active,
            self._chorus_check_service_code,
            self._chorus_check_engagement,
            self._chorus_check_market_number,
            self._chorus_check_currency,
            self._chorus_check_cadre,
            self._chorus_check_bank_account,
        ]
        if dilifac:
            checks.append(self._chorus_check_dilifac_glns)
        return checks

    def _chorus_service(self):
        """(service code as typed, its chorus.pro.service record or an empty one)."""
        code = (self.buyer_reference or "").strip()
        partner = self.commercial_partner_id
        return code, partner.chorus_service_ids.filtered(lambda s: s.code == code)[:1]

    def _chorus_check_move_type(self):
        if self.move_type not in ("out_invoice", "out_refund") or self.state != "posted":
            return [
                (
                    _("only posted customer invoices and credit notes go to Chorus Pro"),
                    self,
                    "state",
                )
            ]
        return []

    def _chorus_check_company_siret(self):
        company = self.company_id
        if not company.siret:
            return [(_("your company has no SIRET"), company, "siret")]
        return []

    def _chorus_check_buyer_siret(self):
        partner = self.commercial_partner_id
        if not partner.siret:
            return [(_("the public buyer has no SIRET"), partner, "siret")]
        if not stdnum_siret.is_valid(partner.siret):
            return [(_("the buyer's SIRET %s is not valid", partner.siret), partner, "siret")]
        return []

    def _chorus_check_structure_active(self):
        partner = self.commercial_partner_id
        if partner.chorus_directory_checked_on and not partner.chorus_structure_active:
            return [
                (
                    _("the Chorus Pro directory says this structure is not active"),
                    partner,
                    "chorus_structure_active",
                )
            ]
        return []

    def _chorus_check_service_code(self):
        partner = self.commercial_partner_id
        code, service = self._chorus_service()
        field = "buyer_reference"
        if not code:
            if partner.chorus_service_required:
                return [(_("the service code is required by this public buyer"), self, field)]
            return []
        if len(code) > SERVICE_CODE_MAX_LENGTH:
            return [
                (
                    _(
                        "the service code has %(length)s characters, Chorus Pro accepts "
                        "%(max)s at most",
                        length=len(code),
                        max=SERVICE_CODE_MAX_LENGTH,
                    ),
                    self,
                    field,
                )
            ]
        if code in FORBIDDEN_SERVICE_CODES:
            return [
                (
                    _("the service %s is reserved for invoices between public bodies", code),
                    self,
                    field,
                )
            ]
        if partner.chorus_service_ids:
            if not service.is_active:
                return [
                    (
                        _("%s is not an active service of this structure in Chorus Pro", code),
                        self,
                        field,
                    )
                ]
        elif partner.chorus_directory_checked_on:
            return [
                (
                    _(
                        "the Chorus Pro directory lists no service for this structure: "
                        "leave the service code empty"
                    ),
                    self,
                    field,
                )
            ]
        return []

    def _chorus_check_engagement(self):
        partner = self.commercial_partner_id
        code, service = self._chorus_service()
        engagement = (self.purchase_order_reference or "").strip()
        field = "purchase_order_reference"
        if engagement:
            if len(engagement) > ENGAGEMENT_MAX_LENGTH:
                return [
                    (
                        _("the engagement number exceeds %s characters", ENGAGEMENT_MAX_LENGTH),
                        self,
                        field,
                    )
                ]
            return []
        if partner.chorus_engagement_required or service.engagement_required:
            return [(_("the engagement number is required by this public buyer"), self, field)]
        if partner.chorus_service_or_engagement and not code:
            return [
                (
                    _("this public buyer requires a service code or an engagement number"),
                    self,
                    field,
                )
            ]
        return []

    def _chorus_check_market_number(self):
        if len((self.contract_reference or "").strip()) > MARKET_MAX_LENGTH:
            return [
                (
                    _("the market number exceeds %s characters", MARKET_MAX_LENGTH),
                    self,
                    "contract_reference",
                )
            ]
        return []

    def _chorus_check_currency(self):
        if self.currency_id.name != "EUR":
            return [(_("Chorus Pro takes invoices in EUR only"), self, "currency_id")]
        return []

    def _chorus_check_cadre(self):
        if self.chorus_cadre == "A2" and not self.currency_id.is_zero(self.amount_residual):
            return [(_("cadre A2 is for invoices already paid in full"), self, "chorus_cadre")]
        return []

    def _chorus_check_bank_account(self):
        if (
            self.move_type != "out_invoice"
            or self.chorus_payment_means not in CREDIT_TRANSFER_CODES
        ):
            return []
        company = self.company_id
        bank = company.chorus_bank_account_id
        if not bank or bank.acc_type != "iban":
            return [
                (
                    _(
                        "a credit transfer needs the company's bank account for Chorus Pro, "
                        "with an IBAN"
                    ),
                    company,
                    "chorus_bank_account_id",
                )
            ]
        return []

    def _chorus_check_dilifac_glns(self):
        problems = []
        company = self.company_id
        if not company.chorus_dilifac_gln:
            problems.append(
                (
                    _("sending through Dilifac needs your company's Dilifac GLN"),
                    company,
                    "chorus_dilifac_gln",
                )
            )
        if not self.chorus_buyer_gln:
            problems.append(
                (
                    _("sending through Dilifac needs the recipient's GLN"),
                    self.commercial_partner_id,
                    "chorus_gln",
                )
            )
        return problems

    # -------------------------------------------------------------------------
    # Documents
    # -------------------------------------------------------------------------

    def _chorus_legal_notes(self):
        """[(subject code, text)]: the French mandatory mentions of the company (PMT,
        PMD, AAB), written as notes in every syntax and printed on the PDF."""
        self.ensure_one()
        company = self.company_id
        if not self.is_sale_document() or company.country_code != "FR":
            return []
        notes = []
        for code in NOTE_SUBJECT_CODES:
            text = " ".join((company[f"chorus_note_{code.lower()}"] or "").split())
            if text:
                notes.append((code, text))
        return notes

    def _chorus_electronic_address(self, role, dilifac=False):
        """(scheme, identifier) of the seller's (BT-34) or buyer's (BT-49) electronic
        address: the Dilifac routing GLNs (0088), else the partner's Peppol address,
        else its SIRET (0009, France's scheme); None when there is none."""
        self.ensure_one()
        company = self.company_id
        partner = (
            company.partner_id if role == "supplier" else self.partner_id
        ).commercial_partner_id
        if dilifac:
            gln = (
                company.chorus_dilifac_gln
                if role == "supplier"
                else recipient_gln(partner.chorus_debtor_type, partner.chorus_gln)
            )
            return (GLN_SCHEME, gln) if gln else None
        if partner.peppol_eas and partner.peppol_endpoint:
            return partner.peppol_eas, partner.peppol_endpoint
        siret = company.siret if role == "supplier" else partner.siret
        return (SIRET_EAS, siret) if siret else None

    def _chorus_payment_terms_text(self):
        """The payment terms (BT-20): the term's note or name, and each installment's
        due date and amount when there are several."""
        self.ensure_one()
        term = self.invoice_payment_term_id
        text = html2plaintext(term.note) if term and not is_html_empty(term.note) else term.name
        parts = [" ".join(text.split())] if text else []
        installments = self._get_installments_data() if self.is_invoice() else []
        if len(installments) > 1:
            parts += [
                _(
                    "installment %(number)s: %(amount)s %(currency)s due %(date)s",
                    number=installment["number"],
                    amount=float_repr(
                        abs(installment["line"].amount_currency), self.currency_id.decimal_places
                    ),
                    currency=self.currency_id.name,
                    date=installment["date_maturity"].isoformat(),
                )
                for installment in installments
            ]
        return "; ".join(parts)

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

    def _chorus_build_document_and_errors(
        self, syntax=None, dilifac=False, with_pdf=True, pdf=None
    ):
        """(filename, bytes, builder errors) of the document deposited for this invoice.

        The invoice PDF goes inside the UBL (AdditionalDocumentReference) when
        ``with_pdf``; Factur-X always needs it. ``pdf`` spares a rendering when known.
        """
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
            builder = self.env["account.edi.xml.cii_chorus"].with_context(
                chorus_syntax=syntax, chorus_dilifac=dilifac
            )
            content, errors = builder._export_invoice(self)
            if syntax == SYNTAX_FACTURX:
                content = builder._chorus_facturx_pdf(self, pdf, content)
        else:
            raise UserError(_("Chorus Pro format %s is not supported.", syntax))
        return filename, content, sorted(errors)

    def _chorus_validation_messages(self, report, syntax=None):
        """(errors, warnings) as text, with the scheme-1 waiver applied.

        The only findings waived are the ISO 6523 code-list ones at a SIRET written with
        Chorus Pro's scheme ``1`` in an E1 UBL or CII deposit: Chorus Pro reads that
        scheme there. They become warnings saying so; every other finding blocks, and
        nothing is waived in Factur-X, which buyers' tools check against its own rules.
        """
        syntax = syntax or self.company_id.chorus_syntax
        scheme_1 = (
            syntax in SCHEME_1_SYNTAXES and self.company_id._chorus_siret_scheme(syntax) == "1"
        )
        errors, warnings = [], []
        for finding in report.errors:
            text = f"[{finding.rule_id}] {finding.message} ({finding.location})"
            if (
                scheme_1
                and finding.rule_id in SCHEME_1_RULES
                and finding.location.endswith(SIRET_LOCATIONS)
            ):
                warnings.append(
                    _(
                        "Accepted: the SIRET carries Chorus Pro's own scheme 1, which "
                        "Chorus Pro reads in this format though it is not an ISO 6523 "
                        "code: %s",
                        text,
                    )
                )
            else:
                errors.append(text)
        warnings += [f"[{f.rule_id}] {f.message} ({f.location})" for f in report.warnings]
        return errors, warnings

    def _chorus_prepare_documents(self, syntax=None, dilifac=False, with_pdf=True):
        """Check, build and validate the document of each invoice.

        :return: {move: {'filename', 'content', 'errors', 'warnings'}}; a move with
            errors must not be sent, the others can go on. ``content`` is None when
            the Chorus rules failed (nothing was built). ``filename`` is the Chorus Pro
            name (lib/filenames.py); a Dilifac upload is named once its attempt number
            is known, by ``_chorus_mark_sending`` (lib/dilifac_naming.py, the one place).
        """
        # The builders ask the same per-line questions for every invoice of the batch.
        with edi_memo(self.env):
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
                # self.env._: Odoo's _ finds no language in a comprehension's own frame.
                errors += [
                    self.env._("Invoice %(invoice)s: %(error)s", invoice=move.name, error=error)
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
                try:
                    report = validation.result()
                except ValidationUnavailable as exc:
                    _logger.warning(
                        "Chorus Pro document of %s could not be validated: %s", move.name, exc
                    )
                    prepared[move]["errors"].append(
                        _(
                            "Invoice %(invoice)s: its document could not be checked against the "
                            "EN 16931 rules (%(error)s). Nothing was sent: try again in a "
                            "moment, or ask your administrator if this persists.",
                            invoice=move.name,
                            error=exc,
                        )
                    )
                    continue
                validation_errors, warnings = move._chorus_validation_messages(report, move_syntax)
                prepared[move]["errors"] += [
                    self.env._(
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


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _chorus_item_name_and_description(self):
        """(item name BT-153, description BT-154): the product's name, else the first
        line of the label; the rest of the label is the description."""
        self.ensure_one()
        label = (self.name or "").strip()
        if self.product_id:
            name = self.product_id.name
            description = " ".join(label.split()) if label and label != name else None
        else:
            first, _sep, rest = label.partition("\n")
            name = first.strip() or self.product_uom_id.name or "-"
            description = " ".join(rest.split()) or None
        return name, description


class ResCompany(models.Model):
    _inherit = "res.company"

    def _chorus_siret_scheme(self, syntax):
        """The scheme written next to a SIRET in this syntax (a company setting each)."""
        self.ensure_one()
        if syntax == SYNTAX_FACTURX:
            return self.chorus_facturx_siret_scheme
        return self.chorus_siret_scheme
