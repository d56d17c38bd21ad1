"""Deterministic, portable names for the files deposited on Chorus Pro.

Chorus Pro accepts attachment names of at most 50 characters *including* the extension, and an
extension is mandatory; plain ASCII avoids any encoding surprise in the API, the portal and ZIPs.
"""

import re
import unicodedata

from .codes import SYNTAX_CII, SYNTAX_FACTURX, SYNTAX_UBL

MAX_LENGTH = 50

_PREFIX_AND_EXTENSION = {
    SYNTAX_UBL: ("UBL_", ".xml"),
    SYNTAX_CII: ("CII_", ".xml"),
    SYNTAX_FACTURX: ("FX_", ".pdf"),
}
# Letters NFKD does not decompose but French text uses.
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DASHES = re.compile(r"-{2,}")


def ascii_name_part(text):
    """``text`` transliterated to ASCII, every other character (``/``, space…) turned into '-'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    return _DASHES.sub("-", _UNSAFE.sub("-", ascii_text)).strip("-.")


def safe_file_name(stem, extension, suffix=""):
    """``<stem><suffix><extension>`` made ASCII-safe, the stem cut at its end so the total is ≤ 50.

    ``extension`` includes its dot (``.pdf``); ``suffix`` and ``extension`` are kept whole.
    """
    clean_stem = ascii_name_part(stem)
    if not clean_stem:
        raise ValueError(f"no usable character in file name {stem!r}")
    room = MAX_LENGTH - len(suffix) - len(extension)
    if room < 1:
        raise ValueError(f"suffix {suffix!r} and extension {extension!r} leave no room")
    return clean_stem[:room].rstrip("-.") + suffix + extension


def chorus_file_name(invoice_number, syntax, attempt=1):
    """Name of the file deposited for an invoice, e.g. ``UBL_FAC-2026-00012.xml``.

    ``attempt`` > 1 adds ``_<attempt>`` so that a new deposit of the same invoice gets a distinct
    name; the invoice number is the part shortened when the name would exceed 50 characters.
    """
    try:
        prefix, extension = _PREFIX_AND_EXTENSION[syntax]
    except KeyError:
        raise ValueError(f"no file name rule for syntax {syntax!r}") from None
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    number = ascii_name_part(invoice_number)
    if not number:
        raise ValueError(f"no usable character in invoice number {invoice_number!r}")
    suffix = f"_{attempt}" if attempt > 1 else ""
    return safe_file_name(prefix + number, extension, suffix)
