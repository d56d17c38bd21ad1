"""Integration checks Chorus Pro runs on each invoice of a deposited flow (chorus-pro.md §10.4).

Shared by the Chorus Pro sandbox (at flow integration) and the Dilifac sandbox (before it
relays a file), so both refuse the same invoices with the same French messages.

Entry points:

* ``extract_invoices(file_bytes, filename, syntax)`` splits a deposited file (single XML or
  PDF, ``.zip``/``.tar.gz`` of those, CPP mixte with several invoices) into
  ``(invoice_number, xml_bytes)`` pairs; raises ``UnreadableFlow`` when the file cannot be
  opened at all (the flow then becomes ``IN_INCIDENTE``).
* ``check_invoice_document(xml_bytes, syntax, directory)`` returns the list of errors of one
  invoice, each a dict ``{code, message, invoice_number, supplier_siret, buyer_siret}``;
  an empty list means the invoice would be integrated.
* ``check_routing(directory, buyer_siret, service_code, engagement)`` is the structure part
  alone, re-run by the sandbox when an invoice is recycled.

assumed (the spec is silent):

* A file that is not well-formed XML, a PDF without an embedded ``factur-x.xml`` and a
  corrupt archive are "unreadable": the whole flow is ``IN_INCIDENTE``. Well-formed XML of
  the wrong document type is an invoice-level error.
* ``FACTURES_PUBLIQUES`` is refused for every supplier (the seed's suppliers are private).
* Only EUR is accepted (no exchange-rate support).
* A duplicate is the same invoice number from the same supplier SIRET, whatever the
  recipient; the caller passes the numbers already integrated (a rejected one excluded).
* For CPP mixte, the SIRET element path quoted in messages is ``Fournisseur.Identifiant``.
"""
import io
import tarfile
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from facturx import get_xml_from_pdf
from lxml import etree

SYNTAX_UBL = "IN_DP_E1_UBL_INVOICE"
SYNTAX_UBL_MIN = "IN_DP_E2_UBL_INVOICE_MIN"
SYNTAX_CII = "IN_DP_E1_CII_16B"
SYNTAX_FACTURX = "IN_DP_E2_CII_FACTURX"
SYNTAX_CPP = "IN_DP_E2_CPP_FACTURE_MIN"

# Syntax -> 4 digits of the interface code (FSOxxxxA), used in numeroFluxDepot (§2.1.1).
INTERFACE_CODES = {
    SYNTAX_UBL: "1100",
    SYNTAX_CII: "1106",
    SYNTAX_UBL_MIN: "1110",
    SYNTAX_CPP: "1113",
    SYNTAX_FACTURX: "1117",
}

FORBIDDEN_SERVICE_CODE = "FACTURES_PUBLIQUES"
ENGAGEMENT_MAX_LENGTH = 50
TOLERANCE = Decimal("0.01")
SIRET_SCHEMES = {"1", "0009", "SIRET"}

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "Invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": "CreditNote",
}
CII_ROOT = f"{{{NS['rsm']}}}CrossIndustryInvoice"
CREDIT_NOTE_TYPE_CODES = {"381", "261", "262", "396", "532"}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class UnreadableFlow(Exception):
    """The deposited file cannot be opened: corrupt archive, unreadable XML or PDF."""


class DocumentError(Exception):
    """One invoice document cannot be read as the declared syntax."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class InvoiceData:
    """What Chorus Pro reads from an invoice to route it and to list it."""

    number: str = None
    invoice_type: str = "FACTURE"
    issue_date: str = None
    currency: str = None
    supplier_siret: str = None
    supplier_name: str = None
    supplier_path: str = ""
    buyer_siret: str = None
    service_code: str = None
    engagement: str = None
    market: str = None
    total_ht: Decimal = None
    total_tax: Decimal = None
    total_ttc: Decimal = None
    payable: Decimal = None
    line_total: Decimal = None
    line_sum: Decimal = None


def _text(node, path):
    value = node.findtext(path, namespaces=NS) if node is not None else None
    value = (value or "").strip()
    return value or None


def _amount(value):
    if value is None:
        return None
    try:
        return Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None


def _ubl_party_siret(party):
    if party is None:
        return None
    for node in party.findall("cac:PartyIdentification/cbc:ID", NS):
        scheme = node.get("schemeID") or node.get("schemeName")
        if scheme in SIRET_SCHEMES and (node.text or "").strip():
            return node.text.strip()
    return _text(party, "cac:PartyLegalEntity/cbc:CompanyID")


def _parse_ubl(root):
    kind = UBL_ROOTS.get(root.tag)
    if kind is None:
        raise DocumentError("SYNTAXE_INCORRECTE", "Le document n'est pas une facture UBL 2.1.")
    supplier = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    customer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    type_code = _text(root, "cbc:InvoiceTypeCode") or _text(root, "cbc:CreditNoteTypeCode")
    totals = root.find("cac:LegalMonetaryTotal", NS)
    tax_total = next(
        (t for t in root.findall("cac:TaxTotal", NS) if t.find("cac:TaxSubtotal", NS) is not None),
        root.find("cac:TaxTotal", NS),
    )
    line_tag = "cac:InvoiceLine" if kind == "Invoice" else "cac:CreditNoteLine"
    line_amounts = [_amount(n.text)
                    for n in root.findall(f"{line_tag}/cbc:LineExtensionAmount", NS)]
    return InvoiceData(
        number=_text(root, "cbc:ID"),
        invoice_type="AVOIR" if kind == "CreditNote" or type_code in CREDIT_NOTE_TYPE_CODES
        else "FACTURE",
        issue_date=_text(root, "cbc:IssueDate"),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        supplier_siret=_ubl_party_siret(supplier),
        supplier_name=_text(supplier, "cac:PartyLegalEntity/cbc:RegistrationName")
        or _text(supplier, "cac:PartyName/cbc:Name"),
        supplier_path="AccountingSupplierParty.Party.PartyIdentification.ID.value",
        buyer_siret=_ubl_party_siret(customer),
        service_code=_text(root, "cbc:BuyerReference") or _text(customer, "cac:Contact/cbc:ID"),
        engagement=_text(root, "cac:OrderReference/cbc:ID"),
        market=_text(root, "cac:ContractDocumentReference/cbc:ID"),
        total_ht=_amount(_text(totals, "cbc:TaxExclusiveAmount")),
        total_tax=_amount(_text(tax_total, "cbc:TaxAmount")) if tax_total is not None
        else Decimal(0),
        total_ttc=_amount(_text(totals, "cbc:TaxInclusiveAmount")),
        payable=_amount(_text(totals, "cbc:PayableAmount")),
        line_total=_amount(_text(totals, "cbc:LineExtensionAmount")),
        line_sum=None if None in line_amounts else sum(line_amounts, Decimal(0)),
    )


def _cii_party_siret(party):
    for path in ("ram:SpecifiedLegalOrganization/ram:ID", "ram:ID", "ram:GlobalID"):
        value = _text(party, path)
        if value:
            return value
    return None


def _parse_cii(root):
    if root.tag != CII_ROOT:
        raise DocumentError(
            "SYNTAXE_INCORRECTE", "Le document n'est pas une facture CII (CrossIndustryInvoice)."
        )
    transaction = root.find("rsm:SupplyChainTradeTransaction", NS)
    agreement = transaction.find("ram:ApplicableHeaderTradeAgreement", NS) \
        if transaction is not None else None
    settlement = transaction.find("ram:ApplicableHeaderTradeSettlement", NS) \
        if transaction is not None else None
    currency = _text(settlement, "ram:InvoiceCurrencyCode")
    summation = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS) \
        if settlement is not None else None
    tax_nodes = summation.findall("ram:TaxTotalAmount", NS) if summation is not None else []
    tax_node = next((n for n in tax_nodes if n.get("currencyID") in (None, currency)), None)
    line_amounts = [
        _amount(n.text) for n in root.iterfind(
            "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem/"
            "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
            "ram:LineTotalAmount", NS)
    ]
    seller = agreement.find("ram:SellerTradeParty", NS) if agreement is not None else None
    buyer = agreement.find("ram:BuyerTradeParty", NS) if agreement is not None else None
    type_code = _text(root, "rsm:ExchangedDocument/ram:TypeCode")
    return InvoiceData(
        number=_text(root, "rsm:ExchangedDocument/ram:ID"),
        invoice_type="AVOIR" if type_code in CREDIT_NOTE_TYPE_CODES else "FACTURE",
        issue_date=_text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"),
        currency=currency,
        supplier_siret=_cii_party_siret(seller),
        supplier_name=_text(seller, "ram:Name"),
        supplier_path="SellerTradeParty.SpecifiedLegalOrganization.ID",
        buyer_siret=_cii_party_siret(buyer),
        service_code=_text(agreement, "ram:BuyerReference"),
        engagement=_text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        market=_text(agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID"),
        total_ht=_amount(_text(summation, "ram:TaxBasisTotalAmount")),
        total_tax=_amount(tax_node.text) if tax_node is not None else Decimal(0),
        total_ttc=_amount(_text(summation, "ram:GrandTotalAmount")),
        payable=_amount(_text(summation, "ram:DuePayableAmount")),
        line_total=_amount(_text(summation, "ram:LineTotalAmount")),
        line_sum=None if not line_amounts or None in line_amounts
        else sum(line_amounts, Decimal(0)),
    )


def _parse_cpp(root):
    unit = root if root.tag == "CPPFactureMixteUnitaire" else root.find(
        "CPPFactures/CPPFactureMixteUnitaire")
    if root.tag not in ("CPPFactureMixte", "CPPFactureMixteUnitaire") or unit is None:
        raise DocumentError("SYNTAXE_INCORRECTE", "Le document n'est pas un flux CPPFactureMixte.")
    taxes = [_amount(n.text) for n in unit.iterfind("DonneesFacture/TVAS/TVA/MontantTVA")]
    type_code = _text(unit, "DonneesFacture/Type")
    return InvoiceData(
        number=_text(unit, "DonneesFacture/Id"),
        invoice_type="AVOIR" if type_code in CREDIT_NOTE_TYPE_CODES else "FACTURE",
        issue_date=_text(unit, "DonneesFacture/DateEmissionFacture"),
        currency=_text(unit, "DonneesFacture/Devise"),
        supplier_siret=_text(unit, "Fournisseur/Identifiant"),
        supplier_name=_text(unit, "Fournisseur/RaisonSociale"),
        supplier_path="Fournisseur.Identifiant",
        buyer_siret=_text(unit, "Debiteur/Identifiant"),
        service_code=_text(unit, "Debiteur/CodeService"),
        engagement=_text(unit, "DonneesFacture/Engagement/NumeroEngagement"),
        market=_text(unit, "DonneesFacture/Engagement/NumeroMarche"),
        total_ht=_amount(_text(unit, "DonneesFacture/Montants/MontantHT")),
        total_tax=None if None in taxes else sum(taxes, Decimal(0)),
        total_ttc=_amount(_text(unit, "DonneesFacture/Montants/MontantTTC")),
        payable=_amount(_text(unit, "DonneesFacture/Montants/MontantNetAPayer")),
    )


_PARSERS = {
    SYNTAX_UBL: _parse_ubl,
    SYNTAX_UBL_MIN: _parse_ubl,
    SYNTAX_CII: _parse_cii,
    SYNTAX_FACTURX: _parse_cii,
    SYNTAX_CPP: _parse_cpp,
}


def _xml_root(xml_bytes):
    try:
        return etree.fromstring(xml_bytes, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DocumentError("XML_ILLISIBLE", f"Le fichier XML est illisible : {exc}") from exc


def _xml_from_pdf(pdf_bytes):
    """The factur-x.xml embedded in a PDF, or None when there is none or no PDF at all."""
    try:
        _name, xml_bytes = get_xml_from_pdf(pdf_bytes, check_xsd=False)
    except Exception:  # the library raises many types on a damaged or non-PDF file
        return None
    return xml_bytes or None


def parse_invoice(xml_bytes, syntax):
    """Read one invoice as Chorus does; raises DocumentError if it is not of that syntax."""
    parser = _PARSERS.get(syntax)
    if parser is None:
        raise DocumentError("SYNTAXE_INCONNUE", f"La syntaxe de flux {syntax} n'est pas prise en "
                            "charge.")
    if syntax == SYNTAX_FACTURX and xml_bytes[:5] == b"%PDF-":
        xml_bytes = _xml_from_pdf(xml_bytes)
        if xml_bytes is None:
            raise DocumentError("XML_ILLISIBLE", "Le PDF ne contient pas de fichier factur-x.xml.")
    return parser(_xml_root(xml_bytes))


def _error(code, message, data=None):
    return {
        "code": code,
        "message": message,
        "invoice_number": data.number if data else None,
        "supplier_siret": data.supplier_siret if data else None,
        "buyer_siret": data.buyer_siret if data else None,
    }


def check_routing(directory, buyer_siret, service_code, engagement):
    """Errors of the recipient part: structure, service code and EJ rules (§5.6).

    Returns ``(code, message)`` pairs so both the flow checks and ``recycler`` can use it.
    """
    structure = directory.structure_by_siret(buyer_siret)
    if structure is None or not structure.active:
        return [("DESTINATAIRE_INCONNU",
                 f"Destinataire non trouvé ou inactif (identifiant : {buyer_siret or 'absent'}).")]
    errors = []
    service = None
    if service_code:
        service = structure.service(service_code)
        if service_code == FORBIDDEN_SERVICE_CODE:
            errors.append(("SERVICE_RESERVE",
                           "Le service FACTURES_PUBLIQUES est réservé à la facturation entre "
                           "entités publiques."))
        elif service is None:
            errors.append(("SERVICE_INCONNU",
                           f"Le code service {service_code} n'existe pas pour ce destinataire."))
        elif not service.active:
            errors.append(("SERVICE_INACTIF",
                           f"Le service {service_code} de ce destinataire est inactif."))
    elif structure.service_required:
        errors.append(("SERVICE_OBLIGATOIRE",
                       "Le code service est obligatoire pour ce destinataire."))
    if not engagement:
        if structure.engagement_required:
            errors.append(("EJ_OBLIGATOIRE",
                           "Le numéro d'engagement est obligatoire pour ce destinataire."))
        elif service is not None and service.engagement_required:
            errors.append(("EJ_OBLIGATOIRE",
                           f"Le numéro d'engagement est obligatoire pour le service "
                           f"{service_code}."))
        elif structure.service_or_engagement and not service_code:
            errors.append(("SERVICE_OU_EJ_OBLIGATOIRE",
                           "Le code service ou le numéro d'engagement doit être renseigné pour "
                           "ce destinataire."))
    elif len(engagement) > ENGAGEMENT_MAX_LENGTH:
        errors.append(("EJ_TROP_LONG",
                       f"Le numéro d'engagement dépasse {ENGAGEMENT_MAX_LENGTH} caractères."))
    return errors


def _total_errors(data):
    required = (data.total_ht, data.total_tax, data.total_ttc)
    if None in required:
        return [("TOTAUX_ABSENTS",
                 "Les montants totaux de la facture sont absents ou illisibles.")]
    errors = []
    if abs(data.total_ht + data.total_tax - data.total_ttc) > TOLERANCE:
        errors.append(("TOTAUX_INCOHERENTS",
                       f"Le montant TTC ({data.total_ttc}) n'est pas égal au montant HT "
                       f"({data.total_ht}) augmenté de la TVA ({data.total_tax})."))
    if data.line_sum is not None and data.line_total is not None \
            and abs(data.line_sum - data.line_total) > TOLERANCE:
        errors.append(("TOTAUX_INCOHERENTS",
                       f"La somme des montants des lignes ({data.line_sum}) n'est pas égale au "
                       f"total des lignes ({data.line_total})."))
    return errors


def check_invoice_document(xml_bytes, syntax, directory, already_deposited=None,
                           account_siret=None):
    """The integration errors of one invoice; an empty list means it would be accepted.

    ``directory`` comes from ``directory.load_directory``. ``already_deposited`` is an
    optional container of ``(supplier_siret, invoice_number)`` pairs already integrated
    and not rejected, for the duplicate rule. ``account_siret`` is the structure of the
    technical account that deposited: an invoice of another supplier is refused, as the
    platform does (a technical account acts for its own structure only). For Factur-X,
    ``xml_bytes`` may also be the PDF itself.
    """
    try:
        data = parse_invoice(xml_bytes, syntax)
    except DocumentError as exc:
        return [_error(exc.code, exc.message)]
    if not data.number:
        return [_error("NUMERO_ABSENT", "Le numéro de la facture est absent.", data)]
    supplier = directory.structure_by_siret(data.supplier_siret)
    pairs = []
    if supplier is None or not supplier.active:
        pairs.append(("FOURNISSEUR_INCONNU",
                      f"L'identifiant fournisseur de la demande de paiement (balise : "
                      f"{data.supplier_path}) n'est pas référencé dans notre système."))
    elif account_siret and data.supplier_siret != account_siret:
        pairs.append(("FOURNISSEUR_NON_RATTACHE",
                      f"Le fournisseur de la demande de paiement ({data.supplier_siret}) "
                      "n'est pas la structure à laquelle le compte technique est rattaché."))
    pairs += check_routing(directory, data.buyer_siret, data.service_code, data.engagement)
    if data.currency != "EUR":
        pairs.append(("DEVISE_NON_ACCEPTEE",
                      f"La devise de la facture ({data.currency or 'absente'}) doit être EUR."))
    pairs += _total_errors(data)
    if already_deposited is not None and (data.supplier_siret, data.number) in already_deposited:
        pairs.append(("DOUBLON",
                      f"La facture {data.number} a déjà été déposée par ce fournisseur."))
    return [_error(code, message, data) for code, message in pairs]


def _archive_members(file_bytes, filename):
    """``[(name, bytes)]`` of an archive, ``None`` if the file is not an archive."""
    name = (filename or "").lower()
    is_zip = file_bytes[:4] in (b"PK\x03\x04", b"PK\x05\x06")  # 0506: empty zip
    is_gzip = file_bytes[:2] == b"\x1f\x8b"
    if not (is_zip or is_gzip):
        if name.endswith((".zip", ".tar.gz", ".tgz")):
            raise UnreadableFlow(f"L'archive {filename} est corrompue.")
        return None
    try:
        if is_zip:
            with zipfile.ZipFile(io.BytesIO(file_bytes)) as archive:
                members = [(i.filename, archive.read(i)) for i in archive.infolist()
                           if not i.is_dir()]
        else:
            with tarfile.open(fileobj=io.BytesIO(file_bytes), mode="r:gz") as archive:
                members = [(m.name, archive.extractfile(m).read()) for m in archive.getmembers()
                           if m.isfile()]
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise UnreadableFlow(f"L'archive {filename} est corrompue.") from exc
    members = [(n, b) for n, b in members
               if not n.startswith("__MACOSX/") and not n.rsplit("/", 1)[-1].startswith(".")]
    if not members:
        raise UnreadableFlow(f"L'archive {filename} ne contient aucun fichier.")
    return members


def _readable_xml(name, content, syntax):
    if syntax == SYNTAX_FACTURX:
        content = _xml_from_pdf(content)
        if content is None:
            raise UnreadableFlow(f"Le fichier {name} n'est pas un PDF Factur-X lisible.")
    try:
        return content, etree.fromstring(content, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnreadableFlow(f"Le fichier {name} n'est pas un XML lisible.") from exc


def extract_invoices(file_bytes, filename, syntax):
    """Split a deposited file into ``[(invoice_number, xml_bytes)]``.

    ``invoice_number`` falls back to the member's file name when the document does not
    read as the declared syntax (its check then reports why). Raises UnreadableFlow.
    """
    members = _archive_members(file_bytes, filename) or [(filename, file_bytes)]
    invoices = []
    for name, content in members:
        xml_bytes, root = _readable_xml(name, content, syntax)
        if syntax == SYNTAX_CPP and root.tag == "CPPFactureMixte":
            units = [etree.tostring(unit)
                     for unit in root.iterfind("CPPFactures/CPPFactureMixteUnitaire")]
        else:
            units = [xml_bytes]
        for unit in units or [xml_bytes]:
            try:
                number = parse_invoice(unit, syntax).number
            except DocumentError:
                number = None
            invoices.append((number or name, unit))
    return invoices
