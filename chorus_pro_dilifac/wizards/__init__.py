from . import chorus_corrective_action
from . import chorus_recycle_wizard
from . import chorus_complete_wizard
from . import chorus_rejection_wizard
from . import chorus_portal_export
from . import chorus_directory_search
from . import chorus_portal_status
