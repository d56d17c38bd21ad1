# Odoo's test runner (odoo-bin --test-enable) only runs the modules imported here;
# tests_unit/test_test_modules.py checks that none is forgotten.
from . import test_corrective_actions
from . import test_corrective_dilifac
from . import test_dashboard
from . import test_directory
from . import test_documents
from . import test_documents_corpus
from . import test_duplicata
from . import test_followup
from . import test_i18n
from . import test_invoice_fields
from . import test_live_qualification
from . import test_neutralize
from . import test_notification_order
from . import test_partner
from . import test_pdf_rendering
from . import test_portal_export
from . import test_portal_followup
from . import test_security
from . import test_send_and_print
from . import test_tour
from . import test_tour_dilifac
from . import test_tour_portal
from . import test_transport_api
from . import test_transport_dilifac
from . import test_validation_worker
