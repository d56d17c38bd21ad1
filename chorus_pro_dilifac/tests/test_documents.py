"""Chorus Pro documents (UBL 2.1, CII D16B, Factur-X) checked against expected files and
against the offline XSD + EN 16931 validator, and the Chorus rules checked before sending."""

import base64
import io

from lxml import etree
from odoo.addons.chorus_pro_dilifac.lib.validation import worker_validator
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import file_open

from .common import ChorusProCommon

UBL = "IN_DP_E1_UBL_INVOICE"
CII = "IN_DP_E1_CII_16B"
FACTURX = "IN_DP_E2_CII_FACTURX"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


class ChorusDocumentsCommon(ChorusProCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hospital.ref = "CLIENT-042"  # must never become a service code
        cls.town.chorus_service_code = "MEDIATHEQUE"

    def _discount_invoice(self):
        """Two VAT rates and a 10 % discount on the books; no service code, no engagement."""
        invoice = self._invoice(self.hospital, post=False)
        invoice.invoice_line_ids[0].discount = 10
        invoice.action_post()
        return invoice

    def _town_invoice(self, **vals):
        return self._invoice(self.town, ref="EJ-2026-0042", contract_reference="M2026-017", **vals)

    def _credit_note(self):
        invoice = self._town_invoice()
        return self._invoice(
            self.town,
            lines=[(self.book, 2, 8.5)],
            move_type="out_refund",
            ref="EJ-2026-0042",
            reversed_entry_id=invoice.id,
        )

    def _document(self, move, syntax, **kwargs):
        prepared = move._chorus_prepare_documents(syntax=syntax, with_pdf=False, **kwargs)[move]
        self.assertEqual(prepared["errors"], [])
        return prepared["content"]

    def _expected(self, name):
        with file_open(f"chorus_pro_dilifac/tests/files/{name}", "rb") as f:
            return f.read()

    def _assert_document(self, content, expected_name):
        self.assertXmlTreeEqual(
            self.get_xml_tree_from_string(content),
            self.get_xml_tree_from_string(self._expected(expected_name)),
        )


@tagged("post_install", "-at_install")
class TestChorusDocuments(ChorusDocumentsCommon):
    def _assert_both_syntaxes(self, move, expected_stem):
        for syntax, prefix in ((UBL, "ubl"), (CII, "cii")):
            with self.subTest(syntax=syntax):
                self._assert_document(self._document(move, syntax), f"{prefix}_{expected_stem}.xml")

    def test_two_vat_rates_and_a_discount(self):
        invoice = self._discount_invoice()
        self._assert_both_syntaxes(invoice, "discount")
        # No service code nor engagement number: no fallback to the partner's ref or
        # to the invoice number (Odoo's behaviour) in either syntax.
        ubl = etree.fromstring(self._document(invoice, UBL))
        self.assertFalse(ubl.xpath("//cbc:BuyerReference | //cac:OrderReference", namespaces=NS))
        cii = etree.fromstring(self._document(invoice, CII))
        self.assertFalse(
            cii.xpath("//ram:BuyerReference | //ram:BuyerOrderReferencedDocument", namespaces=NS)
        )

    def test_credit_note(self):
        credit_note = self._credit_note()
        self._assert_both_syntaxes(credit_note, "credit_note")

    def test_state_buyer(self):
        self._assert_both_syntaxes(self._invoice(self.state_buyer), "state")

    def test_local_authority_with_service_code_and_engagement(self):
        self._assert_both_syntaxes(self._town_invoice(), "town")

    def test_documents_pass_the_en16931_rules_with_the_peppol_scheme(self):
        """With scheme 0009 the documents are clean for XSD + EN 16931 as they are; with
        Chorus Pro's scheme 1, only the ISO 6523 checks on the SIRETs fire, and they are
        turned into warnings."""
        moves = self._discount_invoice() | self._credit_note() | self._invoice(self.state_buyer)
        validator = worker_validator()
        for syntax in (UBL, CII):
            for move in moves:
                with self.subTest(syntax=syntax, move=move.name):
                    content = move._chorus_build_document_and_errors(syntax, with_pdf=False)[1]
                    report = validator.validate(content, syntax)
                    self.assertEqual(
                        report.rule_ids("error"),
                        {"BR-CL-10", "BR-CL-11"}
                        if syntax == UBL
                        else {"FX-SCH-A-000569", "FX-SCH-A-000581"},
                    )
        self.company.chorus_siret_scheme = "0009"
        for syntax in (UBL, CII):
            for move in moves:
                with self.subTest(syntax=syntax, move=move.name, scheme="0009"):
                    content = move._chorus_build_document_and_errors(syntax, with_pdf=False)[1]
                    tree = etree.fromstring(content)
                    self.assertEqual(
                        set(
                            tree.xpath(
                                "//cac:PartyIdentification/cbc:ID/@schemeID"
                                " | //ram:SpecifiedLegalOrganization/ram:ID/@schemeID",
                                namespaces=NS,
                            )
                        ),
                        {"0009"},
                    )
                    report = validator.validate(content, syntax)
                    self.assertEqual(report.errors, [])

    def _broken(self, content, xpath, value, attribute=None):
        tree = etree.fromstring(content)
        node = tree.xpath(xpath, namespaces=NS)[0]
        if attribute:
            node.set(attribute, value)
        else:
            node.text = value
        return etree.tostring(tree)

    def test_broken_documents_are_flagged_with_their_rule(self):
        invoice = self._town_invoice()
        validator = worker_validator()
        ubl = self._document(invoice, UBL)
        cii = self._document(invoice, CII)
        cases = [
            (
                UBL,
                self._broken(ubl, "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "999.99"),
                "BR-CO-15",
            ),
            (UBL, self._broken(ubl, "/*/cbc:IssueDate", "2026-13-45"), "XSD"),
            (CII, self._broken(cii, "//ram:GrandTotalAmount", "999.99"), "BR-CO-15"),
            # The CII schematron does not check the calendar value of a format-102 date
            # (20261345 passes); a wrong date format is caught.
            (
                CII,
                self._broken(
                    cii,
                    "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
                    "101",
                    "format",
                ),
                "FX-SCH-A-000554",
            ),
        ]
        for syntax, content, rule in cases:
            with self.subTest(syntax=syntax, rule=rule):
                report = validator.validate(content, syntax)
                self.assertIn(rule, report.rule_ids("error"))
                errors, _warnings = invoice._chorus_validation_messages(report)
                self.assertTrue(any(f"[{rule}]" in error for error in errors))

    def test_missing_required_service_code_is_refused_before_building(self):
        self.town.chorus_service_required = True
        invoice = self._invoice(self.town, ref="EJ-1", buyer_reference=False)
        for syntax in (UBL, CII):
            prepared = invoice._chorus_prepare_documents(syntax=syntax, with_pdf=False)[invoice]
            self.assertIsNone(prepared["content"])
            self.assertEqual(
                prepared["errors"],
                [
                    f"Invoice {invoice.name} (Commune de Saint-Libre): the service code is "
                    "required by this public buyer (field 'Service code')."
                ],
            )

    def test_ubl_for_dilifac_embeds_the_pdf_and_routes_on_glns(self):
        invoice = self._town_invoice()
        filename, content, _errors = invoice._chorus_build_document_and_errors(
            UBL, dilifac=True
        )
        self.assertEqual(filename, "UBL_INV-2026-00001.xml")
        tree = etree.fromstring(content)
        self.assertEqual(
            [
                (node.get("schemeID"), node.text)
                for node in tree.xpath("//cbc:EndpointID", namespaces=NS)
            ],
            [("0088", self.company.chorus_dilifac_gln), ("0088", "3025594696108")],
        )
        attachment = tree.xpath("//cac:AdditionalDocumentReference", namespaces=NS)[0]
        self.assertEqual(attachment.findtext("cbc:ID", namespaces=NS), "INV-2026-00001.pdf")
        binary = attachment.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
        self.assertEqual(
            (binary.get("mimeCode"), binary.get("filename")),
            ("application/pdf", "INV-2026-00001.pdf"),
        )
        self.assertTrue(base64.b64decode(binary.text).startswith(b"%PDF-"))
        report = worker_validator().validate(content, UBL)
        self.assertEqual(invoice._chorus_validation_messages(report)[0], [])

    def test_facturx_pdf_carries_the_cii(self):
        import facturx
        from pypdf import PdfReader

        invoice = self._invoice(self.state_buyer)
        prepared = invoice._chorus_prepare_documents(syntax=FACTURX)[invoice]
        self.assertEqual(prepared["errors"], [])
        self.assertEqual(prepared["filename"], "FX_INV-2026-00001.pdf")
        self.assertFalse(
            [w for w in prepared["warnings"] if "FACTURX" in w], "Factur-X XMP and XML present"
        )
        pdf = prepared["content"]
        xml_name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
        self.assertEqual(xml_name, "factur-x.xml")
        self._assert_document(xml, "facturx_state.xml")
        reader = PdfReader(io.BytesIO(pdf))
        self.assertIn("/OutputIntents", reader.trailer["/Root"], "converted to PDF/A")
        self.assertEqual(len(reader.attachments.get("factur-x.xml", [])), 1)


@tagged("post_install", "-at_install")
class TestChorusRules(ChorusDocumentsCommon):
    def _errors(self, move, dilifac=False):
        return move._chorus_check_before_sending(dilifac=dilifac).get(move, [])

    def _assert_rule(self, move, field_label, fragment, dilifac=False):
        errors = self._errors(move, dilifac)
        matching = [e for e in errors if fragment in e]
        self.assertEqual(len(matching), 1, errors)
        self.assertTrue(
            matching[0].startswith(
                f"Invoice {move.name} ({move.commercial_partner_id.display_name}): "
            )
        )
        self.assertTrue(matching[0].endswith(f"(field '{field_label}')."), matching[0])

    def test_a_complete_invoice_passes(self):
        self.assertEqual(
            self._invoice(self.town, ref="EJ-1")._chorus_check_before_sending(dilifac=True), {}
        )

    def test_company_and_buyer_siret(self):
        invoice = self._invoice(self.hospital)
        self.company.siret = False
        self.hospital.siret = False
        self._assert_rule(invoice, "SIRET", "your company has no SIRET")
        self._assert_rule(invoice, "SIRET", "the public buyer has no SIRET")

    def test_inactive_structure(self):
        invoice = self._invoice(self.hospital)
        self.hospital.write(
            {"chorus_directory_checked_on": "2026-11-01 10:00:00", "chorus_structure_active": False}
        )
        self._assert_rule(invoice, "Active in Chorus Pro", "not active")

    def test_service_code_rules(self):
        self.hospital.write(
            {
                "chorus_directory_checked_on": "2026-11-01 10:00:00",
                "chorus_structure_active": True,
                "chorus_service_required": True,
            }
        )
        invoice = self._invoice(self.hospital)
        self._assert_rule(invoice, "Service code", "the service code is required")
        self.env["chorus.pro.service"].create(
            [
                {
                    "partner_id": self.hospital.id,
                    "code": "PHARMA",
                    "is_active": True,
                    "engagement_required": True,
                },
                {"partner_id": self.hospital.id, "code": "OLD", "is_active": False},
            ]
        )
        invoice.buyer_reference = "OLD"
        self._assert_rule(invoice, "Service code", "OLD is not an active service")
        invoice.buyer_reference = "NOPE"
        self._assert_rule(invoice, "Service code", "NOPE is not an active service")
        invoice.buyer_reference = "PHARMA"
        self._assert_rule(invoice, "Engagement number", "the engagement number is required")
        invoice.buyer_reference = "FACTURES_PUBLIQUES"
        self._assert_rule(invoice, "Service code", "reserved for invoices between public bodies")

    def test_service_code_refused_when_the_directory_lists_none(self):
        self.town.write(
            {"chorus_directory_checked_on": "2026-11-01 10:00:00", "chorus_structure_active": True}
        )
        invoice = self._invoice(self.town, ref="EJ-1")
        self._assert_rule(invoice, "Service code", "lists no service")

    def test_engagement_rules(self):
        invoice = self._invoice(self.hospital)
        self.hospital.chorus_engagement_required = True
        self._assert_rule(invoice, "Engagement number", "the engagement number is required")
        self.hospital.chorus_engagement_required = False
        self.hospital.chorus_service_or_engagement = True
        self._assert_rule(invoice, "Engagement number", "a service code or an engagement number")
        invoice.purchase_order_reference = "E" * 51
        self._assert_rule(invoice, "Engagement number", "engagement number exceeds 50 characters")
        invoice.contract_reference = "M" * 51
        self._assert_rule(invoice, "Market number", "market number exceeds 50 characters")

    def test_currency_and_bank_account(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        invoice = self._invoice(self.hospital, currency_id=usd.id)
        self._assert_rule(invoice, "Currency", "EUR only")
        self.company.chorus_bank_account_id = False
        self._assert_rule(invoice, "Bank account for Chorus Pro", "credit transfer")
        invoice.chorus_payment_means = "20"
        self.assertFalse(
            [e for e in self._errors(invoice) if "credit transfer" in e], "a cheque needs no IBAN"
        )

    def test_dilifac_glns(self):
        invoice = self._invoice(self.hospital)
        self.company.chorus_dilifac_gln = False
        self._assert_rule(invoice, "Dilifac GLN", "Dilifac GLN", dilifac=True)
        self._assert_rule(invoice, "GLN", "recipient's GLN", dilifac=True)
        self.assertEqual(self._errors(invoice, dilifac=False), [])

    def test_errors_per_invoice_and_the_batch_goes_on(self):
        self.hospital.chorus_service_required = True
        bad = self._invoice(self.hospital)
        good = self._invoice(self.state_buyer)
        prepared = (bad | good)._chorus_prepare_documents(syntax=UBL, with_pdf=False)
        self.assertTrue(prepared[bad]["errors"])
        self.assertIsNone(prepared[bad]["content"])
        self.assertEqual(prepared[good]["errors"], [])
        self.assertTrue(prepared[good]["content"].startswith(b"<?xml"))
        with self.assertRaisesRegex(UserError, bad.name.replace("/", ".")):
            (bad | good)._chorus_raise_if_errors(prepared)
        good._chorus_raise_if_errors({good: prepared[good]})
