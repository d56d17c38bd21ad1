from . import chorus_pro_service
from . import chorus_pro_history
from . import res_company
from . import res_config_settings
from . import res_partner
from . import account_payment_term
from . import account_move
