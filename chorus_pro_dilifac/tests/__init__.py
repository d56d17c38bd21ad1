from . import test_pdf_rendering
