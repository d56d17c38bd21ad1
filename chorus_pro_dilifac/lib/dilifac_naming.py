"""Names of the invoice files uploaded to Dilifac (assumed default, dilifac.md).

Default: ``FAC_<reseller id>_<invoice number>[_<attempt>].xml``.

* ``/``, spaces and any other character unsafe in a remote file name become ``-``;
  accents and ligatures are transliterated and anything left outside ASCII is dropped
  (``filenames.ascii_name_part``, the cleaner of every file name the addon writes).
* Dilifac never overwrites a name it has seen, so a corrected resend of the same invoice
  number (after a REJETE, or a Chorus integration rejection) needs a new name: the ORM
  counts attempts and passes ``attempt``; the first attempt has no suffix, the second is
  ``_2``, and so on. An invoice numbered ``X_2`` and the second attempt of ``X`` would
  collide; the upload then refuses the name (never overwrites), it does not mix them up.
"""
import re
import string

from .filenames import ascii_name_part

DEFAULT_TEMPLATE = "FAC_{reseller_id}_{invoice_number}{attempt_suffix}.xml"
TEMPLATE_FIELDS = {"reseller_id", "invoice_number", "attempt", "attempt_suffix"}

_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]")
# Suffixes the transport itself appends: a payload name must never end like them.
RESERVED_SUFFIXES = (".tmp", ".rdy")


def invoice_file_name(reseller_id, invoice_number, attempt=1, template=DEFAULT_TEMPLATE):
    """The remote file name of one upload attempt of an invoice."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt}")
    unknown = {
        name for _, name, _, _ in string.Formatter().parse(template) if name
    } - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"unknown field(s) in the Dilifac file name template: {sorted(unknown)}")
    reseller, number = ascii_name_part(str(reseller_id)), ascii_name_part(str(invoice_number))
    if not reseller or not number:
        raise ValueError("the reseller id and the invoice number must keep an ASCII character")
    name = template.format(
        reseller_id=reseller,
        invoice_number=number,
        attempt=attempt,
        attempt_suffix="" if attempt == 1 else f"_{attempt}",
    )
    if _UNSAFE_RE.search(name) or name.startswith(".") or name.endswith(RESERVED_SUFFIXES):
        raise ValueError(f"the template gives an unusable remote file name: {name!r}")
    return name
