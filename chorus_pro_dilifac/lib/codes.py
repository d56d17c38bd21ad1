"""Fixed codes of Chorus Pro and Dilifac (chorus-pro.md §5, dilifac.md).

Kept as plain data so the ORM selections, the document builders and the tests read
the same table.
"""

import re

from stdnum import ean

# Recipient GLNs given by Dilicom per debtor type (dilifac.md "Facts"); unverified
# publicly (chorus-pro.md §7.1) but they are what the booksellers' software sends.
GLN_LOCAL_AUTHORITY = "3025594696108"
GLN_STATE = "3025594697303"
SIRET_STATE = "11000201100044"

# Chorus Pro flow syntaxes (``syntaxeFlux``) the addon sends (chorus-pro.md §3.1).
SYNTAX_UBL = "IN_DP_E1_UBL_INVOICE"
SYNTAX_CII = "IN_DP_E1_CII_16B"
SYNTAX_FACTURX = "IN_DP_E2_CII_FACTURX"
SYNTAX_PORTAL = "IN_DP_E2_CPP_FACTURE_MIN"  # the "XML mixte" uploaded by hand (§6.4)
# The document formats a company chooses from (the portal file is an export of its own).
SYNTAXES = [
    (SYNTAX_UBL, "UBL 2.1"),
    (SYNTAX_CII, "CII D16B"),
    (SYNTAX_FACTURX, "Factur-X (PDF)"),
]

DEBTOR_TYPES = [
    ("local_authority", "Local authority"),
    ("state", "State administration"),
    ("other", "Other public body"),
]

# Short codes written in the XML (§5.1); labels from the AIFE list.
CADRES = [
    ("A1", "A1 - Invoice from a supplier"),
    ("A2", "A2 - Invoice already paid"),
    ("A3", "A3 - Legal expenses report"),
    ("A4", "A4 - Monthly statement draft (supplier)"),
    ("A5", "A5 - Down payment statement (supplier)"),
    ("A6", "A6 - Validated down payment statement (supplier)"),
    ("A7", "A7 - Final statement draft (supplier)"),
    ("A8", "A8 - Final general statement (supplier)"),
    ("A9", "A9 - Invoice from a subcontractor"),
    ("A10", "A10 - Monthly statement draft (subcontractor)"),
    ("A11", "A11 - Final statement draft (subcontractor)"),
    ("A12", "A12 - Invoice from a co-contractor"),
    ("A13", "A13 - Monthly statement draft (co-contractor)"),
    ("A14", "A14 - Final statement draft (co-contractor)"),
    ("A15", "A15 - Down payment statement (project manager)"),
    ("A16", "A16 - Validated down payment statement (project manager)"),
    ("A17", "A17 - General statement draft (project manager)"),
    ("A18", "A18 - General statement (project manager)"),
    ("A19", "A19 - Validated down payment statement (contracting authority)"),
    ("A20", "A20 - General statement (contracting authority)"),
    ("A21", "A21 - TIC refund request"),
    ("A22", "A22 - General statement draft, tacit procedure"),
    ("A23", "A23 - Final tacit general statement (supplier)"),
    ("A24", "A24 - Final tacit general statement (project manager)"),
    ("A25", "A25 - Final general statement, tacit procedure (project manager)"),
]

# UNTDID 4461 payment means codes a French public buyer meets (§5.3).
PAYMENT_MEANS = [
    ("30", "30 - Credit transfer"),
    ("58", "58 - SEPA credit transfer"),
    ("42", "42 - Payment to bank account"),
    ("31", "31 - Debit transfer"),
    ("49", "49 - Direct debit"),
    ("59", "59 - SEPA direct debit"),
    ("20", "20 - Cheque"),
    ("10", "10 - In cash"),
    ("1", "1 - Instrument not defined"),
]
# Chorus Pro accepts only an IBAN for these (§5.3).
CREDIT_TRANSFER_CODES = {"30", "31", "42", "58"}

# A service reserved for invoicing between public entities: a private supplier's flow
# using it is rejected (§2.2.3).
FORBIDDEN_SERVICE_CODES = {"FACTURES_PUBLIQUES"}

ENGAGEMENT_MAX_LENGTH = 50
MARKET_MAX_LENGTH = 50

_MARKET_IN_TEXT = re.compile(r"MARCH[EÉ]\s*[=:]\s*([^\s<>;,]+)", re.IGNORECASE)


def market_number_from_text(text):
    """The market number written in a note as ``MARCHE = <number>``, or None.

    Booksellers' software has long used this convention in the invoice comment.
    """
    match = _MARKET_IN_TEXT.search(text or "")
    return match.group(1) if match else None


def recipient_gln(debtor_type, own_gln=None):
    """The GLN Dilifac routes on, from the debtor type (dilifac.md)."""
    if debtor_type == "state":
        return GLN_STATE
    if debtor_type == "local_authority":
        return GLN_LOCAL_AUTHORITY
    return own_gln or None


def is_valid_gln(value):
    """13 digits with a valid GS1 check digit (a GLN is checked like an EAN-13)."""
    return bool(value) and len(value) == 13 and ean.is_valid(value)
