"""A batch of Chorus Pro documents asks Odoo's UBL/CII builders the same questions for every
line: the UN/ECE unit code (one ir.model.data query per line) and the tax category (one
``env.ref(...).exists()`` query per tax and invoice). Their answers depend only on the records
passed, which a batch does not change: they are remembered for the duration of one
``_chorus_prepare_documents`` call, so the SQL queries per invoice stay few and constant."""

import copy
from contextlib import contextmanager

from odoo import models

MEMO_KEY = "chorus_pro_dilifac.edi_memo"


class AccountEdiCommon(models.AbstractModel):
    _inherit = "account.edi.common"

    def _chorus_memo(self, key, compute):
        memo = getattr(self.env.cr, "cache", {}).get(MEMO_KEY)
        if memo is None:
            return compute()
        key = (self._name, *key)
        if key not in memo:
            memo[key] = compute()
        return copy.copy(memo[key])  # a caller may update the dict it gets

    def _get_uom_unece_code(self, uom):
        return self._chorus_memo(
            ("uom", uom.id), lambda: super(AccountEdiCommon, self)._get_uom_unece_code(uom)
        )

    def _get_tax_unece_codes(self, customer, supplier, tax):
        return self._chorus_memo(
            ("tax", customer.id, supplier.id, tax.id),
            lambda: super(AccountEdiCommon, self)._get_tax_unece_codes(customer, supplier, tax),
        )


@contextmanager
def edi_memo(env):
    """Remember the builders' per-line look-ups until the end of the block (not nested)."""
    cache = getattr(env.cr, "cache", None)
    owner = cache is not None and MEMO_KEY not in cache
    if owner:
        cache[MEMO_KEY] = {}
    try:
        yield
    finally:
        if owner:
            cache.pop(MEMO_KEY, None)
