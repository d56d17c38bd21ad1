"""Make ``chorus_pro_dilifac.lib`` importable without Odoo.

The addon's own ``__init__`` imports the ORM layer, so a stub package is registered
that only knows the addon's folder: ``import chorus_pro_dilifac.lib.x`` then loads
the pure-Python module and nothing else.
"""
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_pkg = types.ModuleType("chorus_pro_dilifac")
_pkg.__path__ = [str(REPO / "chorus_pro_dilifac")]
sys.modules.setdefault("chorus_pro_dilifac", _pkg)
