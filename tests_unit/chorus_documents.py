"""Small hand-made invoice documents for the Chorus Pro tests (UBL 2.1, CII D16B, CPP mixte).

Only what Chorus reads is written: number, parties' SIRET, service code, EJ, market,
totals, lines. Amounts are computed from ``lines`` unless ``break_totals`` spoils them.
"""
import io
import tarfile
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

SUPPLIER = "83210456600019"
SUPPLIER_2 = "83210457400013"
FREE_BUYER = "21340172200011"          # Commune de Saint-Libre: no constraint
SERVICE_BUYER = "26750001500016"       # CH Paris-Est: service required
EJ_BUYER = "22760540900019"            # Seine-Maritime: EJ required
EITHER_BUYER = "21130055300016"        # Port-Lumière: service or EJ
BOTH_BUYER = "22100005200011"          # Aube: service and EJ
STATE_BUYER = "11000201100044"         # État: EJ required, FACTURES_PUBLIQUES service
INACTIVE_BUYER = "21690123100011"
MULTI_SERVICE_BUYER = "20005478100014"


def _totals(lines, rate):
    line_amounts = [Decimal(str(q)) * Decimal(str(p)) for q, p in lines]
    total_ht = sum(line_amounts, Decimal(0)).quantize(Decimal("0.01"))
    tax = (total_ht * Decimal(str(rate)) / 100).quantize(Decimal("0.01"))
    return [a.quantize(Decimal("0.01")) for a in line_amounts], total_ht, tax, total_ht + tax


def ubl_invoice(number, buyer=FREE_BUYER, supplier=SUPPLIER, service=None, engagement=None,
                market=None, lines=((2, "12.50"),), rate="5.5", currency="EUR",
                credit_note=False, break_totals=False, scheme="0009"):
    """A minimal UBL 2.1 Invoice (or CreditNote) as bytes."""
    amounts, total_ht, tax, total_ttc = _totals(lines, rate)
    if break_totals:
        total_ttc += Decimal("1.00")
    root = "CreditNote" if credit_note else "Invoice"
    line_tag = "CreditNoteLine" if credit_note else "InvoiceLine"
    quantity_tag = "CreditedQuantity" if credit_note else "InvoicedQuantity"
    type_tag = "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode"
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
        "<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>",
        f"<cbc:ID>{escape(number)}</cbc:ID><cbc:IssueDate>2026-09-14</cbc:IssueDate>",
        f"<cbc:{type_tag}>{381 if credit_note else 380}</cbc:{type_tag}>",
        f"<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>",
    ]
    if service:
        parts.append(f"<cbc:BuyerReference>{escape(service)}</cbc:BuyerReference>")
    if engagement:
        parts.append(f"<cac:OrderReference><cbc:ID>{escape(engagement)}</cbc:ID>"
                     "</cac:OrderReference>")
    if market:
        parts.append(f"<cac:ContractDocumentReference><cbc:ID>{escape(market)}</cbc:ID>"
                     "</cac:ContractDocumentReference>")
    for tag, siret, name in (("AccountingSupplierParty", supplier, "Librairie du Marché"),
                             ("AccountingCustomerParty", buyer, "Acheteur public")):
        parts.append(
            f'<cac:{tag}><cac:Party><cac:PartyIdentification><cbc:ID schemeID="{scheme}">'
            f"{siret}</cbc:ID></cac:PartyIdentification><cac:PartyLegalEntity>"
            f"<cbc:RegistrationName>{name}</cbc:RegistrationName></cac:PartyLegalEntity>"
            f"</cac:Party></cac:{tag}>")
    parts.append(
        f'<cac:TaxTotal><cbc:TaxAmount currencyID="{currency}">{tax}</cbc:TaxAmount>'
        f'<cac:TaxSubtotal><cbc:TaxableAmount currencyID="{currency}">{total_ht}'
        f'</cbc:TaxableAmount><cbc:TaxAmount currencyID="{currency}">{tax}</cbc:TaxAmount>'
        f"<cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{rate}</cbc:Percent>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>"
        "</cac:TaxSubtotal></cac:TaxTotal>")
    parts.append(
        f'<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="{currency}">{total_ht}'
        f'</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="{currency}">'
        f'{total_ht}</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="{currency}">'
        f'{total_ttc}</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="{currency}">'
        f"{total_ttc}</cbc:PayableAmount></cac:LegalMonetaryTotal>")
    for index, ((quantity, price), amount) in enumerate(zip(lines, amounts, strict=True), start=1):
        parts.append(
            f"<cac:{line_tag}><cbc:ID>{index}</cbc:ID>"
            f'<cbc:{quantity_tag} unitCode="C62">{quantity}</cbc:{quantity_tag}>'
            f'<cbc:LineExtensionAmount currencyID="{currency}">{amount}</cbc:LineExtensionAmount>'
            f"<cac:Item><cbc:Name>Livre {index}</cbc:Name></cac:Item>"
            f'<cac:Price><cbc:PriceAmount currencyID="{currency}">{price}</cbc:PriceAmount>'
            f"</cac:Price></cac:{line_tag}>")
    parts.append(f"</{root}>")
    return "".join(parts).encode()


def cii_invoice(number, buyer=FREE_BUYER, supplier=SUPPLIER, service=None, engagement=None,
                lines=((2, "12.50"),), rate="5.5", break_totals=False):
    """A minimal CII D16B invoice (EN 16931 profile, usable as factur-x.xml) as bytes."""
    amounts, total_ht, tax, total_ttc = _totals(lines, rate)
    if break_totals:
        total_ttc += Decimal("1.00")
    items = "".join(
        f"<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument>"
        f"<ram:LineID>{i}</ram:LineID></ram:AssociatedDocumentLineDocument>"
        f"<ram:SpecifiedTradeProduct><ram:Name>Livre {i}</ram:Name></ram:SpecifiedTradeProduct>"
        f"<ram:SpecifiedLineTradeSettlement><ram:SpecifiedTradeSettlementLineMonetarySummation>"
        f"<ram:LineTotalAmount>{amount}</ram:LineTotalAmount>"
        f"</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>"
        f"</ram:IncludedSupplyChainTradeLineItem>"
        for i, amount in enumerate(amounts, start=1))
    agreement = f"<ram:BuyerReference>{escape(service)}</ram:BuyerReference>" if service else ""
    agreement += (
        f'<ram:SellerTradeParty><ram:Name>Librairie du Marché</ram:Name>'
        f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{supplier}</ram:ID>'
        f"</ram:SpecifiedLegalOrganization></ram:SellerTradeParty>"
        f'<ram:BuyerTradeParty><ram:Name>Acheteur public</ram:Name>'
        f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{buyer}</ram:ID>'
        f"</ram:SpecifiedLegalOrganization></ram:BuyerTradeParty>")
    if engagement:
        agreement += (f"<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>"
                      f"{escape(engagement)}</ram:IssuerAssignedID>"
                      f"</ram:BuyerOrderReferencedDocument>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rsm:CrossIndustryInvoice '
        'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
        'xmlns:ram="urn:un:unece:uncefact:data:standard:'
        'ReusableAggregateBusinessInformationEntity:100" '
        'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">'
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        "<ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
        "</rsm:ExchangedDocumentContext>"
        f"<rsm:ExchangedDocument><ram:ID>{escape(number)}</ram:ID><ram:TypeCode>380</ram:TypeCode>"
        '<ram:IssueDateTime><udt:DateTimeString format="102">20260914</udt:DateTimeString>'
        "</ram:IssueDateTime></rsm:ExchangedDocument>"
        f"<rsm:SupplyChainTradeTransaction>{items}"
        f"<ram:ApplicableHeaderTradeAgreement>{agreement}</ram:ApplicableHeaderTradeAgreement>"
        "<ram:ApplicableHeaderTradeDelivery/>"
        "<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR"
        "</ram:InvoiceCurrencyCode><ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
        f"<ram:LineTotalAmount>{total_ht}</ram:LineTotalAmount>"
        f"<ram:TaxBasisTotalAmount>{total_ht}</ram:TaxBasisTotalAmount>"
        f'<ram:TaxTotalAmount currencyID="EUR">{tax}</ram:TaxTotalAmount>'
        f"<ram:GrandTotalAmount>{total_ttc}</ram:GrandTotalAmount>"
        f"<ram:DuePayableAmount>{total_ttc}</ram:DuePayableAmount>"
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
        "</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>"
        "</rsm:CrossIndustryInvoice>"
    ).encode()


def cpp_mixte(invoices):
    """A CPPFactureMixte flow; ``invoices`` is a list of dicts (number, buyer, service,
    engagement, ht, tva, ttc)."""
    units = []
    for index, inv in enumerate(invoices, start=1):
        units.append(
            f'<CPPFactureMixteUnitaire NumOrdre="{index}">'
            f"<Fournisseur><TypeIdentifiant>1</TypeIdentifiant>"
            f"<Identifiant>{inv.get('supplier', SUPPLIER)}</Identifiant>"
            f"<RaisonSociale>Librairie du Marché</RaisonSociale><CodePays>FR</CodePays>"
            f"</Fournisseur><Debiteur><TypeIdentifiant>1</TypeIdentifiant>"
            f"<Identifiant>{inv.get('buyer', FREE_BUYER)}</Identifiant><Nom>Acheteur</Nom>"
            f"<CodeService>{inv.get('service') or ''}</CodeService></Debiteur>"
            f"<DonneesFacture><Id>{inv['number']}</Id><Type>380</Type><Cadre>A1</Cadre>"
            f"<DateEmissionFacture>2026-09-14</DateEmissionFacture>"
            f"<ModePaiement><Code>01</Code></ModePaiement><Devise>EUR</Devise>"
            f"<Montants><MontantHT>{inv['ht']}</MontantHT><MontantTTC>{inv['ttc']}</MontantTTC>"
            f"<MontantNetAPayer>{inv['ttc']}</MontantNetAPayer></Montants>"
            f"<TVAS><TVA><Taux>5.5</Taux><BaseHt>{inv['ht']}</BaseHt>"
            f"<MontantTVA>{inv['tva']}</MontantTVA></TVA></TVAS>"
            f"<Engagement><NumeroMarche></NumeroMarche>"
            f"<NumeroEngagement>{inv.get('engagement') or ''}</NumeroEngagement></Engagement>"
            f"</DonneesFacture></CPPFactureMixteUnitaire>")
    return (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
        "<CPPFactureMixte><Enveloppe><EnveloppeUnitaire NumOrdre=\"1\"><Parametres/>"
        "</EnveloppeUnitaire></Enveloppe>"
        f'<CPPFactures Compteur="{len(units)}">{"".join(units)}</CPPFactures>'
        "</CPPFactureMixte>"
    ).encode()


def zip_of(files):
    """A .zip holding ``{name: bytes}``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def tar_gz_of(files):
    """A .tar.gz holding ``{name: bytes}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
