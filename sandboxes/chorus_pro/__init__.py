"""A faithful local Chorus Pro (PISTE OAuth2 + ``/cpro`` API) for tests and the demo.

It follows docs/chorus-pro.md §10 and never imports the addon. Start it with
``ChorusProSandbox().start()`` or ``python -m sandboxes.chorus_pro --port 8099``.
"""
from .checks import check_invoice_document, extract_invoices
from .clock import SandboxClock
from .directory import load_directory
from .server import ChorusProSandbox

__all__ = [
    "ChorusProSandbox",
    "SandboxClock",
    "check_invoice_document",
    "extract_invoices",
    "load_directory",
]
