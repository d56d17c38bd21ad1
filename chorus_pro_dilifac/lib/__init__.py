"""Protocol code for Chorus Pro and Dilifac that needs no database.

Nothing under this package may import ``odoo``: it is unit-tested with plain pytest
(``tests_unit/``) and loaded inside Odoo as ``odoo.addons.chorus_pro_dilifac.lib``.
Modules here import each other with relative imports only.

Comments cite the protocol facts as ``chorus-pro.md §N``, ``dilifac.md`` and
``validation.md``: the pages of the repository's ``docs/`` folder, with their sources.
"""
