"""A tiny UBL 2.1 invoice with Dilifac routing, for the Dilifac transport and sandbox tests.

Not the addon's generator: just enough for the sandbox checks (SIRETs, service code, EJ,
totals, and the issuer/recipient GLNs as ``EndpointID schemeID="0088"``).
"""
from decimal import Decimal
from xml.sax.saxutils import escape

SUPPLIER_SIRET = "83210456600019"  # Librairie du Marché, in sandboxes/seed_directory.json
ISSUER_GLN = "3012345678902"  # the bookseller's Dilifac GLN (valid GS1 check digit)
LOCAL_AUTHORITIES_GLN = "3025594696108"
STATE_GLN = "3025594697303"
COMMUNE_SIRET = "21340172200011"  # no service code nor EJ required
HOSPITAL_SIRET = "26750001500016"  # service code required


def render_dilifac_ubl(
    number,
    buyer_siret=COMMUNE_SIRET,
    recipient_gln=LOCAL_AUTHORITIES_GLN,
    issuer_gln=ISSUER_GLN,
    supplier_siret=SUPPLIER_SIRET,
    service_code=None,
    engagement=None,
    amount="100.00",
    vat_rate="5.5",
):
    base = Decimal(amount)
    tax = (base * Decimal(vat_rate) / 100).quantize(Decimal("0.01"))
    total = base + tax
    optional = ""
    if service_code:
        optional += f"<cbc:BuyerReference>{escape(service_code)}</cbc:BuyerReference>"
    if engagement:
        optional += (
            f"<cac:OrderReference><cbc:ID>{escape(engagement)}</cbc:ID></cac:OrderReference>"
        )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:UBLVersionID>2.1</cbc:UBLVersionID>
 <cbc:ID>{escape(number)}</cbc:ID>
 <cbc:IssueDate>2025-01-15</cbc:IssueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 {optional}
 <cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="0088">{issuer_gln}</cbc:EndpointID>
  <cac:PartyIdentification><cbc:ID schemeID="1">{supplier_siret}</cbc:ID></cac:PartyIdentification>
  <cac:PartyLegalEntity><cbc:RegistrationName>Librairie du Marché</cbc:RegistrationName>
  </cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cbc:EndpointID schemeID="0088">{recipient_gln}</cbc:EndpointID>
  <cac:PartyIdentification><cbc:ID schemeID="1">{buyer_siret}</cbc:ID></cac:PartyIdentification>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:TaxTotal>
  <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
  <cac:TaxSubtotal>
   <cbc:TaxableAmount currencyID="EUR">{base}</cbc:TaxableAmount>
   <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
   <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{vat_rate}</cbc:Percent>
    <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:TaxSubtotal>
 </cac:TaxTotal>
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">{base}</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">{base}</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">{total}</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">{total}</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:InvoiceLine>
  <cbc:ID>1</cbc:ID>
  <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="EUR">{base}</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Livres</cbc:Name></cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">{base}</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
</Invoice>
"""
    return xml.encode("utf-8")
