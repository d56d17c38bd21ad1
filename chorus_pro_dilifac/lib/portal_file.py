"""Builder and parser of the Chorus Pro "XML mixte" file (``IN_DP_E2_CPP_FACTURE_MIN``, FSO1113A).

The file is what a user uploads by hand on the Chorus Pro portal when the API is not used: one
``CPPFactureMixte`` document, without namespace, holding for each invoice its header data, its
amounts and its PDF (zipped, then base64-encoded). Element names and order follow the only public
example (Pastell's test fixture, spec chorus-pro.md §6.4); the full XSD was not available, so
optional elements are written only when they have a value.
"""

import base64
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from .filenames import MAX_LENGTH, safe_file_name

PORTAL_FILENAME = "ExportChorusPro.xml"
SCHEMA_LOCATION = "CPPFactureMixte_V1.14.xsd"
STYLESHEET = "FSO1113A.xsl"
# The fixture's placeholder for the EDI envelope partners; the portal does not route on them.
PARTNER_PLACEHOLDER_ID = "00000000"
PJ_TYPE_INVOICE = "01"
PDF_MIME_TYPE = "application/pdf"

# The portal's limit for one uploaded file is not published. The documented limits are 10 MB for
# a single attachment and 120 MB for an invoice with its attachments; the smaller one is assumed
# to apply to the uploaded XML too (10 MB, decimal, which is also below 10 MiB). The PDFs inside
# are base64-encoded, so they may weigh about 7.5 MB in total.
PORTAL_FILE_SIZE_LIMIT = 10_000_000
# What the portal's upload form refuses in practice (booksellers' software manuals): files
# are split under this size by default; a company setting changes it.
PORTAL_UPLOAD_LIMIT = 4_000_000

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_CENT = Decimal("0.01")


class PortalFileError(ValueError):
    """The file is not a CPPFactureMixte this module can read."""


@dataclass
class PortalVatLine:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass
class PortalSupplier:
    identifier: str  # SIRET when identifier_type is '1'
    name: str
    country_code: str = "FR"
    identifier_type: str = "1"


@dataclass
class PortalBuyer:
    identifier: str  # SIRET: the only type allowed for a public buyer
    name: str
    service_code: str = ""
    service_name: str = ""
    identifier_type: str = "1"


@dataclass
class PortalInvoice:
    number: str
    type_code: str  # '380' invoice, '381' credit note
    issue_date: date
    supplier: PortalSupplier
    buyer: PortalBuyer
    amount_untaxed: Decimal
    amount_total: Decimal
    amount_due: Decimal
    pdf_bytes: bytes
    pdf_name: str = ""  # defaults to "<number>.pdf"
    vat_lines: list = field(default_factory=list)
    cadre: str = "A1"
    payment_means_code: str = ""  # omitted when empty (a credit note has none)
    currency: str = "EUR"
    engagement_number: str = ""
    market_number: str = ""


@dataclass
class ParsedPortalInvoice(PortalInvoice):
    num_ordre: int = 0
    pj_type: str = ""
    pj_mime_type: str = ""


def format_amount(value):
    """'828.43': '.' separator, always 2 decimals, half-up (floats go through ``str``)."""
    return f"{Decimal(str(value)).quantize(_CENT, ROUND_HALF_UP):f}"


def format_rate(value):
    """'5.5', '20', '2.1': the rate as written in the fixture, without trailing zeros."""
    text = f"{Decimal(str(value)).quantize(_CENT, ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".")


def zip_pdf(pdf_name, pdf_bytes, when):
    """A ZIP holding only the PDF; the entry is dated ``when`` so equal inputs give equal bytes."""
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(pdf_name, date_time=(when.year, when.month, when.day, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, pdf_bytes)
    return buffer.getvalue()


def unzip_pdf(zip_bytes):
    """(name, bytes) of the single file in a ``Contenu`` ZIP."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        names = archive.namelist()
        if len(names) != 1:
            raise PortalFileError(f"PJ archive holds {len(names)} files, expected 1")
        return names[0], archive.read(names[0])


def _sub(parent, tag, text=None, **attributes):
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _sub_if(parent, tag, text):
    if text:
        _sub(parent, tag, text)


def _pdf_name(invoice):
    if not invoice.pdf_name:
        return safe_file_name(invoice.number, ".pdf")
    if len(invoice.pdf_name) > MAX_LENGTH:
        raise ValueError(f"PDF name {invoice.pdf_name!r} exceeds {MAX_LENGTH} characters")
    return invoice.pdf_name


def _add_invoice(parent, num_ordre, invoice):
    if invoice.type_code not in ("380", "381"):
        raise ValueError(f"invoice {invoice.number}: type {invoice.type_code!r} is not 380/381")
    if not invoice.pdf_bytes:
        raise ValueError(f"invoice {invoice.number}: no PDF")
    unit = _sub(parent, "CPPFactureMixteUnitaire", NumOrdre=str(num_ordre))

    supplier = _sub(unit, "Fournisseur")
    _sub(supplier, "TypeIdentifiant", invoice.supplier.identifier_type)
    _sub(supplier, "Identifiant", invoice.supplier.identifier)
    _sub(supplier, "RaisonSociale", invoice.supplier.name)
    _sub(supplier, "CodePays", invoice.supplier.country_code)

    buyer = _sub(unit, "Debiteur")
    _sub(buyer, "TypeIdentifiant", invoice.buyer.identifier_type)
    _sub(buyer, "Identifiant", invoice.buyer.identifier)
    _sub(buyer, "Nom", invoice.buyer.name)
    _sub_if(buyer, "CodeService", invoice.buyer.service_code)
    _sub_if(buyer, "NomService", invoice.buyer.service_name)

    data = _sub(unit, "DonneesFacture")
    _sub(data, "Id", invoice.number)
    _sub(data, "Type", invoice.type_code)
    _sub(data, "Cadre", invoice.cadre)
    _sub(data, "DateEmissionFacture", invoice.issue_date.isoformat())
    if invoice.payment_means_code:
        _sub(_sub(data, "ModePaiement"), "Code", invoice.payment_means_code)
    _sub(data, "Devise", invoice.currency)
    amounts = _sub(data, "Montants")
    _sub(amounts, "MontantHT", format_amount(invoice.amount_untaxed))
    _sub(amounts, "MontantTTC", format_amount(invoice.amount_total))
    _sub(amounts, "MontantNetAPayer", format_amount(invoice.amount_due))
    if invoice.vat_lines:
        vat_lines = _sub(data, "TVAS")
        for line in invoice.vat_lines:
            vat = _sub(vat_lines, "TVA")
            _sub(vat, "Taux", format_rate(line.rate))
            _sub(vat, "BaseHt", format_amount(line.base))
            _sub(vat, "MontantTVA", format_amount(line.amount))
    if invoice.market_number or invoice.engagement_number:
        engagement = _sub(data, "Engagement")
        _sub_if(engagement, "NumeroMarche", invoice.market_number)
        _sub_if(engagement, "NumeroEngagement", invoice.engagement_number)

    pdf_name = _pdf_name(invoice)
    attachment = _sub(unit, "PJ", NumOrdre="1")
    zipped = zip_pdf(pdf_name, invoice.pdf_bytes, invoice.issue_date)
    _sub(attachment, "Contenu", base64.b64encode(zipped).decode("ascii"))
    _sub(attachment, "NomPJ", pdf_name)
    _sub(attachment, "TypePJ", PJ_TYPE_INVOICE)
    _sub(attachment, "MimeTypePJ", PDF_MIME_TYPE)


def build_portal_file(invoices, production_date, flow_id):
    """The UTF-8 bytes of a CPPFactureMixte file holding ``invoices`` (numbered from 1)."""
    if not invoices:
        raise ValueError("a Chorus Pro portal file needs at least one invoice")
    root = etree.Element("CPPFactureMixte", nsmap={"xsi": _XSI})
    root.set(f"{{{_XSI}}}noNamespaceSchemaLocation", SCHEMA_LOCATION)

    envelope = _sub(_sub(root, "Enveloppe"), "EnveloppeUnitaire", NumOrdre="1")
    parameters = _sub(envelope, "Parametres")
    for num_ordre, (code, value) in enumerate(
        (("DtPrd", production_date.isoformat()), ("IdFlx", str(flow_id))), start=1
    ):
        parameter = _sub(parameters, "ParametreIndiv", NumOrdre=f"{num_ordre:04d}")
        _sub(parameter, "Code", code)
        _sub(parameter, "Valeurparametre", value)
    partners = _sub(envelope, "Partenaires")
    _sub(_sub(partners, "Recepteur"), "Id", PARTNER_PLACEHOLDER_ID)
    _sub(_sub(partners, "Emetteur"), "Id", PARTNER_PLACEHOLDER_ID)

    container = _sub(root, "CPPFactures", Compteur=str(len(invoices)))
    for num_ordre, invoice in enumerate(invoices, start=1):
        _add_invoice(container, num_ordre, invoice)

    head = (
        b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
        b'<?xml-stylesheet type="text/xsl" href="' + STYLESHEET.encode() + b'"?>\n'
    )
    return head + etree.tostring(root, encoding="utf-8", pretty_print=True)


def split_portal_files(invoices, limit, production_date, flow_id):
    """The invoices packed into as few portal files as fit under ``limit`` bytes, in order.

    Returns ``[(invoices, content)]``. An invoice too big for any file (its PDF alone
    over the limit) is put alone in its file: the caller says so. Each file gets its own
    flow id (a numeric ``flow_id`` counts up).

    Each invoice is built once alone to learn its weight; a file is then the envelope
    plus its invoices, checked once built (and cut again in the rare case the estimate
    was a few bytes short).
    """
    if not invoices:
        return []
    alone = [len(build_portal_file([i], production_date, flow_id)) for i in invoices]
    envelope = _envelope_size(invoices[0], production_date, flow_id)
    batches, batch, size = [], [], envelope
    for invoice, weight in zip(invoices, alone, strict=True):
        weight -= envelope
        if batch and size + weight > limit:
            batches.append(batch)
            batch, size = [], envelope
        batch.append(invoice)
        size += weight
    if batch:
        batches.append(batch)
    files = []
    while batches:
        batch = batches.pop(0)
        content = build_portal_file(batch, production_date, _flow_id(flow_id, len(files) + 1))
        if len(content) > limit and len(batch) > 1:
            batches[:0] = [batch[:-1], batch[-1:]]
            continue
        files.append((batch, content))
    return files


def _envelope_size(sample, production_date, flow_id):
    """The bytes of a portal file that are not its invoices (head, envelope, container)."""
    one = build_portal_file([sample], production_date, flow_id)
    two = build_portal_file([sample, sample], production_date, flow_id)
    return 2 * len(one) - len(two)


def _flow_id(flow_id, number):
    """The flow id of the ``number``-th file: numeric ids (as in the only example) count up."""
    flow_id = str(flow_id)
    if number == 1:
        return flow_id
    return str(int(flow_id) + number - 1) if flow_id.isdigit() else f"{flow_id}-{number}"


def _text(element, path, required=True):
    found = element.find(path)
    if found is None or not (found.text or "").strip():
        if required:
            raise PortalFileError(f"missing {path} in {element.tag}")
        return ""
    return found.text.strip()


def _decimal(element, path):
    return Decimal(_text(element, path))


def _parse_invoice(unit):
    supplier = unit.find("Fournisseur")
    buyer = unit.find("Debiteur")
    data = unit.find("DonneesFacture")
    attachment = unit.find("PJ")
    if supplier is None or buyer is None or data is None or attachment is None:
        raise PortalFileError(
            "CPPFactureMixteUnitaire lacks Fournisseur, Debiteur, " "DonneesFacture or PJ"
        )
    _zip_name, pdf_bytes = unzip_pdf(base64.b64decode(_text(attachment, "Contenu")))
    return ParsedPortalInvoice(
        num_ordre=int(unit.get("NumOrdre", "0")),
        number=_text(data, "Id"),
        type_code=_text(data, "Type"),
        cadre=_text(data, "Cadre"),
        issue_date=date.fromisoformat(_text(data, "DateEmissionFacture")),
        payment_means_code=_text(data, "ModePaiement/Code", required=False),
        currency=_text(data, "Devise"),
        amount_untaxed=_decimal(data, "Montants/MontantHT"),
        amount_total=_decimal(data, "Montants/MontantTTC"),
        amount_due=_decimal(data, "Montants/MontantNetAPayer"),
        vat_lines=[
            PortalVatLine(
                rate=_decimal(vat, "Taux"),
                base=_decimal(vat, "BaseHt"),
                amount=_decimal(vat, "MontantTVA"),
            )
            for vat in data.iterfind("TVAS/TVA")
        ],
        engagement_number=_text(data, "Engagement/NumeroEngagement", required=False),
        market_number=_text(data, "Engagement/NumeroMarche", required=False),
        supplier=PortalSupplier(
            identifier_type=_text(supplier, "TypeIdentifiant"),
            identifier=_text(supplier, "Identifiant"),
            name=_text(supplier, "RaisonSociale"),
            country_code=_text(supplier, "CodePays", required=False),
        ),
        buyer=PortalBuyer(
            identifier_type=_text(buyer, "TypeIdentifiant"),
            identifier=_text(buyer, "Identifiant"),
            name=_text(buyer, "Nom", required=False),
            service_code=_text(buyer, "CodeService", required=False),
            service_name=_text(buyer, "NomService", required=False),
        ),
        pdf_name=_text(attachment, "NomPJ"),
        pdf_bytes=pdf_bytes,
        pj_type=_text(attachment, "TypePJ", required=False),
        pj_mime_type=_text(attachment, "MimeTypePJ", required=False),
    )


def parse_portal_file(data):
    """The invoices of a CPPFactureMixte file, PDFs unzipped; checks ``Compteur``."""
    # huge_tree: one Contenu text node can exceed libxml2's default 10 MB limit.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PortalFileError(f"not well-formed XML: {exc}") from exc
    if root.tag != "CPPFactureMixte":
        raise PortalFileError(f"root element is {root.tag}, expected CPPFactureMixte")
    container = root.find("CPPFactures")
    if container is None:
        raise PortalFileError("no CPPFactures element")
    invoices = [_parse_invoice(unit) for unit in container.iterfind("CPPFactureMixteUnitaire")]
    counter = container.get("Compteur")
    if counter != str(len(invoices)):
        raise PortalFileError(f"Compteur is {counter} but the file holds {len(invoices)} invoices")
    return invoices
