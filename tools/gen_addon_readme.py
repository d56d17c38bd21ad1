"""Write chorus_pro_dilifac/README.rst from the OCA fragments in chorus_pro_dilifac/readme/.

OCA's ``oca-gen-addon-readme`` (maintainer-tools, not published on PyPI) does this in OCA
repositories; this is the same layout, without the badges, so that Odoo's *Apps > Module
Info* page and pylint-odoo's ``missing-readme`` find the addon's README. The fragments use
the small part of Markdown OCA's fragments use (paragraphs, ``-``/``1.`` lists, nested
lists, ``**bold**``, ``*italic*``, ```code```); anything else is kept as it is.

    python tools/gen_addon_readme.py          # write the README
    python tools/gen_addon_readme.py --check  # exit 1 if it is not up to date (make lint)
"""

import ast
import re
import sys
from pathlib import Path

ADDON = Path(__file__).resolve().parent.parent / "chorus_pro_dilifac"
SECTIONS = (  # (fragment, heading, underline); DESCRIPTION has no heading
    ("DESCRIPTION", None, None),
    ("CONFIGURE", "Configuration", "="),
    ("USAGE", "Usage", "="),
    ("ROADMAP", "Known issues / Roadmap", "="),
)
LIST_ITEM = re.compile(r"^(\s*)(?:[-*]|\d+\.)\s")


def markdown_to_rst(text):
    """The fragments' Markdown as reStructuredText: inline code gets its double backquotes,
    and a nested list gets the blank line before and after it that reStructuredText needs."""
    text = re.sub(r"(?<!`)`([^`\n]+)`(?!`)", r"``\1``", text)
    lines, previous_indent = [], None
    for line in text.strip("\n").splitlines():
        match = LIST_ITEM.match(line)
        indent = len(match.group(1)) if match else None
        if (
            indent is not None
            and previous_indent is not None
            and indent != previous_indent
            and lines
            and lines[-1]
        ):
            lines.append("")
        if line.strip():
            previous_indent = indent if match else previous_indent
        else:
            previous_indent = None
        lines.append(line)
    return "\n".join(lines) + "\n"


def heading(title, underline, overline=False):
    rule = underline * len(title)
    return f"{rule}\n{title}\n{rule}\n" if overline else f"{title}\n{rule}\n"


def render():
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text(encoding="utf-8"))
    fragments = ADDON / "readme"
    parts = [
        ".. This file is written by tools/gen_addon_readme.py from the fragments in readme/:\n"
        "   change them, then run it.\n",
        heading(manifest["name"], "=", overline=True),
        f"{manifest['summary']}.\n",
        f"*Odoo {manifest['version'].split('.')[0]}.0, version {manifest['version']}, "
        f"licence {manifest['license']}, {manifest['development_status']}.*\n",
    ]
    for name, title, underline in SECTIONS:
        if name == "DESCRIPTION":
            parts.append(markdown_to_rst((fragments / f"{name}.md").read_text(encoding="utf-8")))
            parts.append("**Table of contents**\n\n.. contents::\n   :local:\n")
            continue
        parts.append(heading(title, underline))
        parts.append(markdown_to_rst((fragments / f"{name}.md").read_text(encoding="utf-8")))
    parts += [
        heading("Bug Tracker", "="),
        f"Bugs are tracked at {manifest['website']}/issues.\n",
        heading("Credits", "="),
        heading("Authors", "-"),
        f"* {manifest['author']}\n",
        heading("Contributors", "-"),
        markdown_to_rst((fragments / "CONTRIBUTORS.md").read_text(encoding="utf-8")),
        heading("Maintainers", "-"),
        "".join(f"* {maintainer}\n" for maintainer in manifest.get("maintainers", [])),
        f"This module is part of {manifest['website']}.\n",
    ]
    return "\n".join(parts)


def main(argv):
    target = ADDON / "README.rst"
    text = render()
    if "--check" in argv:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            sys.exit(
                f"{target.relative_to(ADDON.parent)} is not up to date with readme/: "
                "run python tools/gen_addon_readme.py"
            )
        return
    target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
