"""A corpus of invoices and credit notes typed as accountants type them, each built in
UBL, CII and Factur-X and checked with the official XSD and EN 16931 schematron (and the
French BR-FR rules), plus the cases Chorus Pro would refuse, blocked before building.

The invoices are created once for the class; each document is a subTest. Factur-X needs
the invoice PDF: one PDF is rendered once (wkhtmltopdf) and embedded in every Factur-X
of the corpus, since what is checked here is the XML it carries and the container.
"""

from lxml import etree
from odoo import Command
from odoo.addons.chorus_pro_dilifac.lib.validation import (
    LAYER_BR_FR,
    LAYER_EN16931,
    LAYER_XSD,
    default_validator,
)
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ChorusProCommon

UBL = "IN_DP_E1_UBL_INVOICE"
CII = "IN_DP_E1_CII_16B"
FACTURX = "IN_DP_E2_CII_FACTURX"
SYNTAXES = (UBL, CII, FACTURX)
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
}

# BR-FR warnings that stay, and why (README "French rules (BR-FR) that stay"):
# * BR-FR-08: Chorus Pro's cadre A1/A2 in BT-23 is not one of the reform's codes (B1, S1...).
# * BR-FR-10: the reform wants the SIREN with scheme 0002 in BT-30; Chorus Pro identifies the
#   supplier by its SIRET there.
EXPECTED_BR_FR = ("BR-FR-08", "BR-FR-10")
LONG_NAME = (
    "Établissement public « Lycée & Collège Jean-Zay-d'Orléans » <Service intendance> "
    "— Groupement d'achat œuvres & fournitures, bâtiment Ä/Ø, n° 12"
)


def _rule_family(rule_id):
    """'BR-FR-05_BT-22-1' -> 'BR-FR-05'."""
    return rule_id.split("_")[0].split("/")[0]


@tagged("post_install", "-at_install")
class TestChorusDocumentCorpus(ChorusProCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tax_10 = cls._fr_tax("tva_intermediaire")
        cls.tax_exempt = cls._fr_tax("tva_sale_service_0")  # art. 261, set by the chart
        cls.tax_franchise = cls.env["account.tax"].create(
            {
                "name": "0% franchise",
                "amount": 0.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
                "country_id": cls.env.ref("base.fr").id,
                "chorus_exemption_code": "VATEX-FR-FRANCHISE",
                "chorus_exemption_reason": "TVA non applicable, art. 293 B du CGI",
            }
        )
        cls.binding = cls.env["product.product"].create(
            {"name": "Reliure", "lst_price": 12.0, "taxes_id": [Command.set(cls.tax_10.ids)]}
        )
        cls.installments = cls.env["account.payment.term"].create(
            {
                "name": "30 % à la commande, solde à 30 jours",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 30}),
                ],
            }
        )
        cls.long_buyer = cls._public_partner(
            LONG_NAME, "other", siret="19450042700001", street="12, rue de l'Œuvre & d'Ève"
        )
        cls.buyers = {
            "state": cls.state_buyer,
            "town": cls.town,
            "hospital": cls.hospital,
        }
        cls.corpus = cls._build_corpus()
        # One PDF for every Factur-X of the corpus (see the module docstring).
        cls.pdf = cls.corpus[0][1]._chorus_invoice_pdfs()[cls.corpus[0][1]]

    # ------------------------------------------------------------------
    # Corpus
    # ------------------------------------------------------------------

    @classmethod
    def _line(cls, product=None, qty=1, price=None, label=None, taxes=None, discount=0):
        vals = {"quantity": qty, "discount": discount}
        if product:
            vals["product_id"] = product.id
        if price is not None:
            vals["price_unit"] = price
        if label:
            vals["name"] = label
        if taxes is not None:
            vals["tax_ids"] = [Command.set(taxes.ids)]
        return Command.create(vals)

    @classmethod
    def _move(cls, partner, lines, move_type="out_invoice", post=True, **vals):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": lines,
                **vals,
            }
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _scenarios(cls):
        """{name: (lines, extra vals)} typed the way an accountant types them."""
        book, stationery, binding = cls.book, cls.stationery, cls.binding
        return {
            "three_rates": (
                [cls._line(book, 10, 8.5), cls._line(binding, 3), cls._line(stationery, 2, 4.0)],
                {},
            ),
            "line_discounts": (
                [
                    cls._line(book, 7, 8.5, discount=9),
                    cls._line(stationery, 3, 4.15, discount=33.33),
                ],
                {},
            ),
            "global_discount": (
                [
                    cls._line(book, 20, 8.5),
                    cls._line(stationery, 5, 4.0),
                    cls._line(qty=1, price=-8.5, label="Remise globale 5 %", taxes=cls.tax_5_5),
                ],
                {},
            ),
            "free_text_lines": (
                [
                    cls._line(book, 4, 8.5),
                    cls._line(qty=1, price=6.9, label="Frais de port", taxes=cls.tax_20),
                    cls._line(
                        qty=2,
                        price=15.0,
                        label="Reliure cuir\nDorure à chaud du titre,\ncoins renforcés",
                        taxes=cls.tax_20,
                    ),
                ],
                {},
            ),
            "exempt_line": (
                [
                    cls._line(book, 2, 8.5),
                    cls._line(
                        qty=1,
                        price=45.0,
                        label="Formation à la recherche documentaire",
                        taxes=cls.tax_exempt,
                    ),
                ],
                {},
            ),
            "installments": (
                [cls._line(book, 30, 8.5), cls._line(binding, 4, 12.0)],
                {"invoice_payment_term_id": cls.installments.id},
            ),
            "special_characters": (
                [
                    cls._line(
                        book,
                        1,
                        19.9,
                        label="« L'Œuvre au noir » — Yourcenar & Cie <édition poche> 100 %",
                    ),
                    cls._line(qty=1, price=2.5, label="Emballage “cadeau” ✓", taxes=cls.tax_20),
                ],
                {"ref": "Commande n° 42 & suite"},
            ),
            "fractional": (
                [
                    cls._line(stationery, 2.5, 0.125),
                    cls._line(book, 3, 8.333),
                    cls._line(binding, 1, 1234567.89),
                ],
                {},
            ),
        }

    @classmethod
    def _build_corpus(cls):
        """[(name, move)]: at least 40 invoices and credit notes."""
        corpus = []
        for buyer_name, buyer in cls.buyers.items():
            for name, (lines, vals) in cls._scenarios().items():
                extra = dict(vals)
                if buyer_name == "hospital":
                    extra["purchase_order_reference"] = "EJ-2026-0042"
                corpus.append((f"{buyer_name}/{name}", cls._move(buyer, lines, **extra)))
        book, stationery = cls.book, cls.stationery
        # Service code and engagement number, each alone, both, none.
        corpus += [
            (
                "town/service_and_engagement",
                cls._move(cls.town, [cls._line(book, 5, 8.5)], purchase_order_reference="EJ-77"),
            ),
            (
                "town/service_only",
                cls._move(cls.town, [cls._line(book, 5, 8.5)]),
            ),
            (
                "state/engagement_only",
                cls._move(
                    cls.state_buyer,
                    [cls._line(book, 5, 8.5)],
                    purchase_order_reference="1300012345",
                ),
            ),
            (
                "hospital/neither",
                cls._move(cls.hospital, [cls._line(stationery, 5, 4.0)]),
            ),
            (
                "long_names",
                cls._move(
                    cls.long_buyer,
                    [cls._line(qty=1, price=10.0, label="X" * 300, taxes=cls.tax_20)],
                    buyer_reference="SERVICE-" + "A" * 40,
                    purchase_order_reference="E" * 50,
                    contract_reference="M" * 50,
                ),
            ),
            (
                "franchise",
                cls._move(
                    cls.hospital,
                    [
                        cls._line(
                            qty=3, price=20.0, label="Animation lecture", taxes=cls.tax_franchise
                        )
                    ],
                ),
            ),
            (
                "cheque",
                cls._move(cls.town, [cls._line(book, 1, 8.5)], chorus_payment_means="20"),
            ),
            (
                "many_lines",
                cls._move(
                    cls.state_buyer,
                    [cls._line(book, i + 1, 8.5 + i / 100) for i in range(30)],
                ),
            ),
        ]
        # Down payment, then the final invoice deducting it.
        down_payment = cls._move(
            cls.town,
            [
                cls._line(
                    qty=1, price=100.0, label="Acompte de 30 % sur commande", taxes=cls.tax_5_5
                )
            ],
        )
        final = cls._move(
            cls.town,
            [
                cls._line(book, 40, 8.5),
                cls._line(
                    qty=-1,
                    price=100.0,
                    label=f"Acompte déduit (facture {down_payment.name})",
                    taxes=cls.tax_5_5,
                ),
            ],
        )
        corpus += [("down_payment", down_payment), ("final_invoice", final)]
        # Credit notes: partial (one line, typed) and full (Odoo's reversal), per buyer.
        for buyer_name, buyer in cls.buyers.items():
            invoice = cls._move(buyer, [cls._line(book, 10, 8.5), cls._line(stationery, 2, 4.0)])
            partial = cls._move(
                buyer,
                [cls._line(book, 2, 8.5)],
                move_type="out_refund",
                reversed_entry_id=invoice.id,
            )
            full = invoice._reverse_moves([{"invoice_date": "2026-11-03"}])
            full.action_post()
            corpus += [
                (f"{buyer_name}/invoice_to_credit", invoice),
                (f"{buyer_name}/partial_credit_note", partial),
                (f"{buyer_name}/full_credit_note", full),
            ]
        # Paid before it was sent: cadre A2.
        paid = cls._move(cls.town, [cls._line(book, 2, 8.5)], chorus_cadre="A2")
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=paid.ids
        ).create({"payment_date": "2026-11-02"})._create_payments()
        corpus.append(("paid_a2", paid))
        return corpus

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    def test_corpus_size(self):
        moves = [move for _name, move in self.corpus]
        self.assertGreaterEqual(len(moves), 40)
        self.assertEqual(
            {m.commercial_partner_id.chorus_debtor_type for m in moves},
            {"state", "local_authority", "other"},
        )
        self.assertIn("out_refund", {m.move_type for m in moves})

    def test_every_document_passes_xsd_and_en16931(self):
        validator = default_validator()
        remaining_br_fr = {}
        for name, move in self.corpus:
            self.assertEqual(move._chorus_check_before_sending(dilifac=False), {}, name)
            for syntax in SYNTAXES:
                with self.subTest(invoice=name, syntax=syntax):
                    _filename, content, builder_errors = move._chorus_build_document_and_errors(
                        syntax, with_pdf=False, pdf=self.pdf
                    )
                    self.assertEqual(builder_errors, [])
                    report = validator.validate(content, syntax)
                    xsd = [f for f in report.errors if f.layer == LAYER_XSD]
                    self.assertEqual(xsd, [])
                    errors, warnings = move._chorus_validation_messages(report, syntax)
                    self.assertEqual(errors, [])
                    waived = [f for f in report.errors if f.layer == LAYER_EN16931]
                    if syntax == FACTURX:
                        self.assertEqual(waived, [])
                    else:
                        # Only the scheme-1 code-list findings, at a SIRET, are waived.
                        self.assertTrue(waived)
                        self.assertTrue(all("Accepted" in w for w in warnings[: len(waived)]))
                    en16931_warnings = [f for f in report.warnings if f.layer == LAYER_EN16931]
                    self.assertEqual(en16931_warnings, [], [f.rule_id for f in en16931_warnings])
                    br_fr = {
                        _rule_family(f.rule_id) for f in report.warnings if f.layer == LAYER_BR_FR
                    }
                    remaining_br_fr[(name, syntax)] = br_fr
                    self.assertLessEqual(br_fr, set(EXPECTED_BR_FR), name)
        # The French rules that stay are exactly the ones the README explains; BR-FR-05
        # (mandatory mentions), BR-FR-DEC-* (decimals) are met everywhere.
        self.assertEqual(set().union(*remaining_br_fr.values()), set(EXPECTED_BR_FR))

    def test_free_text_line_has_an_item_name_in_every_syntax(self):
        move = dict(self.corpus)["town/free_text_lines"]
        for syntax in (UBL, CII):
            content = move._chorus_build_document_and_errors(syntax, with_pdf=False)[1]
            tree = etree.fromstring(content)
            if syntax == UBL:
                names = tree.xpath("//cac:InvoiceLine/cac:Item/cbc:Name/text()", namespaces=NS)
                descriptions = tree.xpath(
                    "//cac:InvoiceLine/cac:Item/cbc:Description/text()", namespaces=NS
                )
            else:
                names = tree.xpath("//ram:SpecifiedTradeProduct/ram:Name/text()", namespaces=NS)
                descriptions = tree.xpath(
                    "//ram:SpecifiedTradeProduct/ram:Description/text()", namespaces=NS
                )
            with self.subTest(syntax=syntax):
                self.assertEqual(names[1:], ["Frais de port", "Reliure cuir"])
                self.assertIn("Dorure à chaud du titre, coins renforcés", descriptions)

    def test_mentions_exemption_and_terms_are_written(self):
        corpus = dict(self.corpus)
        exempt = corpus["state/exempt_line"]
        installments = corpus["state/installments"]
        for syntax in (UBL, CII):
            with self.subTest(syntax=syntax):
                tree = etree.fromstring(
                    exempt._chorus_build_document_and_errors(syntax, with_pdf=False)[1]
                )
                terms = etree.fromstring(
                    installments._chorus_build_document_and_errors(syntax, with_pdf=False)[1]
                )
                if syntax == UBL:
                    notes = tree.xpath("/*/cbc:Note/text()", namespaces=NS)
                    subjects = [n.split("#")[1] for n in notes if n.startswith("#")]
                    reason = tree.xpath(
                        "//cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[cbc:ID='E']"
                        "/cbc:TaxExemptionReasonCode/text()",
                        namespaces=NS,
                    )
                    term_text = terms.xpath("//cac:PaymentTerms/cbc:Note/text()", namespaces=NS)
                else:
                    subjects = tree.xpath(
                        "//ram:IncludedNote/ram:SubjectCode/text()", namespaces=NS
                    )
                    reason = tree.xpath(
                        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
                        "[ram:CategoryCode='E']/ram:ExemptionReasonCode/text()",
                        namespaces=NS,
                    )
                    term_text = terms.xpath(
                        "//ram:SpecifiedTradePaymentTerms/ram:Description/text()", namespaces=NS
                    )
                self.assertEqual(subjects, ["PMT", "PMD", "AAB"])
                self.assertEqual(reason, ["VATEX-EU-132"])
                self.assertEqual(len(term_text), 1)
                self.assertIn("30 % à la commande, solde à 30 jours", term_text[0])
                self.assertIn("2026-12-02", term_text[0])  # the second installment's due date

    def test_the_pdf_prints_the_mentions(self):
        move = dict(self.corpus)["state/three_rates"]
        self.company.chorus_note_aab = "Escompte de 2 % pour paiement sous 8 jours."
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "account.account_invoices", move.ids
        )
        text = " ".join(html.decode().split())
        self.assertIn("frais de recouvrement en cas de retard de paiement : 40 €", text)
        self.assertIn("majoré de 10 points", text)
        self.assertIn("Escompte de 2 % pour paiement sous 8 jours.", text)
        # The same texts in the e-invoice, with their subject codes.
        content = move._chorus_build_document_and_errors(UBL, with_pdf=False)[1]
        notes = etree.fromstring(content).xpath("/*/cbc:Note/text()", namespaces=NS)
        self.assertIn("#AAB#Escompte de 2 % pour paiement sous 8 jours.", notes)

    def test_siret_scheme_per_syntax(self):
        move = dict(self.corpus)["state/three_rates"]
        xpath = (
            "//cac:PartyIdentification/cbc:ID/@schemeID"
            " | //cac:PartyLegalEntity/cbc:CompanyID/@schemeID"
            " | //ram:SpecifiedLegalOrganization/ram:ID/@schemeID"
        )
        for syntax, scheme in ((UBL, "1"), (CII, "1"), (FACTURX, "0009")):
            with self.subTest(syntax=syntax):
                if syntax == FACTURX:
                    content = self._facturx_xml(move)
                else:
                    content = move._chorus_build_document_and_errors(syntax, with_pdf=False)[1]
                self.assertEqual(
                    set(etree.fromstring(content).xpath(xpath, namespaces=NS)), {scheme}
                )

    def _facturx_xml(self, move):
        import facturx

        pdf = move._chorus_build_document_and_errors(FACTURX, pdf=self.pdf)[1]
        return facturx.get_xml_from_pdf(pdf, check_xsd=False)[1]

    def test_a_finding_other_than_the_scheme_blocks(self):
        """The waiver covers the scheme-1 code-list findings at a SIRET, nothing else."""
        move = dict(self.corpus)["state/three_rates"]
        content = move._chorus_build_document_and_errors(UBL, with_pdf=False)[1]
        tree = etree.fromstring(content)
        node = tree.xpath("//cac:AccountingCustomerParty//cbc:EndpointID", namespaces=NS)[0]
        node.set("schemeID", "1")  # the same code-list rule, not at a SIRET
        report = default_validator().validate(etree.tostring(tree), UBL)
        errors, _warnings = move._chorus_validation_messages(report, UBL)
        self.assertTrue([e for e in errors if "BR-CL-25" in e or "BR-CL-10" in e], errors)
        # In Factur-X nothing is waived, even with scheme 1.
        self.company.chorus_facturx_siret_scheme = "1"
        report = default_validator().validate(self._facturx_xml(move), FACTURX)
        errors, _warnings = move._chorus_validation_messages(report, FACTURX)
        self.assertTrue(errors)


@tagged("post_install", "-at_install")
class TestChorusRefusedCases(ChorusProCommon):
    """What Chorus Pro would refuse is blocked before any document is built."""

    def _assert_refused(self, move, field_label, fragment):
        for syntax in (UBL, CII):
            with self.subTest(syntax=syntax, field=field_label):
                prepared = move._chorus_prepare_documents(syntax=syntax, with_pdf=False)[move]
                self.assertIsNone(prepared["content"], "nothing is built")
                matching = [e for e in prepared["errors"] if fragment in e]
                self.assertEqual(len(matching), 1, prepared["errors"])
                self.assertTrue(matching[0].startswith(f"Invoice {move.name} ("), matching[0])
                self.assertTrue(matching[0].endswith(f"(field '{field_label}')."), matching[0])

    def _directory(self, partner, **vals):
        partner.write(
            {
                "chorus_directory_checked_on": "2026-11-01 10:00:00",
                "chorus_structure_active": True,
                **vals,
            }
        )

    def test_usd(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        self._assert_refused(
            self._invoice(self.hospital, currency_id=usd.id), "Currency", "EUR only"
        )

    def test_missing_service(self):
        self.hospital.chorus_service_required = True
        self._assert_refused(self._invoice(self.hospital), "Service code", "is required")

    def test_unknown_and_inactive_service(self):
        self._directory(self.hospital)
        self.env["chorus.pro.service"].create(
            [
                {"partner_id": self.hospital.id, "code": "PHARMA", "is_active": True},
                {"partner_id": self.hospital.id, "code": "OLD", "is_active": False},
            ]
        )
        self._assert_refused(
            self._invoice(self.hospital, buyer_reference="NOPE"),
            "Service code",
            "NOPE is not an active service",
        )
        self._assert_refused(
            self._invoice(self.hospital, buyer_reference="OLD"),
            "Service code",
            "OLD is not an active service",
        )

    def test_inactive_structure(self):
        self._directory(self.hospital, chorus_structure_active=False)
        self._assert_refused(self._invoice(self.hospital), "Active in Chorus Pro", "not active")

    def test_engagement_too_long(self):
        self._assert_refused(
            self._invoice(self.hospital, purchase_order_reference="E" * 51),
            "Engagement number",
            "exceeds 50 characters",
        )

    def test_market_number_too_long(self):
        self._assert_refused(
            self._invoice(self.hospital, contract_reference="M" * 51),
            "Market number",
            "exceeds 50 characters",
        )

    def test_overlong_service_code(self):
        self._assert_refused(
            self._invoice(self.hospital, buyer_reference="S" * 10_000),
            "Service code",
            "has 10000 characters, Chorus Pro accepts 100 at most",
        )

    def test_bad_siret(self):
        with self.assertRaisesRegex(ValidationError, "SIRET 26750001500017 is not valid"):
            self.hospital.siret = "26750001500017"
        # A SIRET stored before that check existed (imported data) is refused at sending.
        self.env.cr.execute(
            "UPDATE res_partner SET siret = %s WHERE id = %s", ("26750001500017", self.hospital.id)
        )
        self.hospital.invalidate_recordset(["siret"])
        self._assert_refused(self._invoice(self.hospital), "SIRET", "is not valid")

    def test_missing_buyer_siret(self):
        self.hospital.siret = False
        self._assert_refused(self._invoice(self.hospital), "SIRET", "has no SIRET")
