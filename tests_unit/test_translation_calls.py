"""Every message the addon translates with ``_()`` can find its language.

Odoo's ``_`` reads the language from its caller's frame (``self.env``, ``context``), or
from the HTTP request. A comprehension or a lambda runs in a frame of its own: there, a
``_()`` that does not use ``self`` finds no language outside a request, and a French
accountant reads the scheduled action's messages in English. ``self.env._`` does not
depend on the frame.
"""

import ast
from pathlib import Path

ADDON = Path(__file__).resolve().parents[1] / "chorus_pro_dilifac"
OWN_FRAME = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)


def _own_frame_parts(node):
    """What a comprehension or lambda runs in its own frame: all but its first iterable,
    which Python evaluates in the enclosing frame."""
    if isinstance(node, ast.Lambda):
        return [node.body]
    parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    for position, generator in enumerate(node.generators):
        if position:
            parts.append(generator.iter)
        parts += generator.ifs
    return parts


def _frameless_translations(tree):
    for node in ast.walk(tree):
        if not isinstance(node, OWN_FRAME):
            continue
        parts = _own_frame_parts(node)
        names = {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}
        if "self" in names or "context" in names:
            continue
        for part in parts:
            for call in ast.walk(part):
                if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "_":
                    yield call.lineno


def test_no_translated_message_in_a_frame_without_language():
    found = [
        f"{path.relative_to(ADDON)}:{line}"
        for path in sorted(ADDON.rglob("*.py"))
        if "tests" not in path.parts
        for line in _frameless_translations(ast.parse(path.read_text()))
    ]
    assert found == [], "use self.env._(...) there"


def test_the_check_finds_a_translation_in_a_comprehension():
    bad = "def f(self, moves):\n    return [_('Invoice %s', m.name) for m in moves]\n"
    good = "def f(self, moves):\n    return [self.env._('Invoice %s', m.name) for m in moves]\n"
    outer = "def f(self):\n    return [p for p in (_('Done'), self.comment) if p]\n"
    assert list(_frameless_translations(ast.parse(bad))) == [2]
    assert list(_frameless_translations(ast.parse(good))) == []
    assert list(_frameless_translations(ast.parse(outer))) == []
