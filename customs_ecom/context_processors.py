from .platform.readonly import is_read_only
from .platform.roles import (
    ADMINISTRATOR,
    AUDITOR,
    CAN_ACT_ON_CONSIGNMENTS,
    CAN_EDIT_RULES,
    CAN_VIEW_CONSIGNMENTS,
    CAN_VIEW_DASHBOARD,
    SUPERVISOR,
    has_any_role,
)


def navigation(request):
    # On the API's own HTML page (/api/docs/) the user is whoever the API authenticated: an
    # operator by its key is not a customs user and has no navigation (nor does anyone unknown).
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {
        "nav_queue": has_any_role(user, CAN_VIEW_CONSIGNMENTS),
        "nav_dashboard": has_any_role(user, CAN_VIEW_DASHBOARD),
        "nav_rules": has_any_role(user, CAN_EDIT_RULES | {AUDITOR}),
        # Auditors read every page (issue 16).
        "nav_imports": has_any_role(user, CAN_ACT_ON_CONSIGNMENTS | {AUDITOR}),
        "nav_revenue": has_any_role(user, CAN_VIEW_CONSIGNMENTS),
        "nav_registry": has_any_role(user, {SUPERVISOR, ADMINISTRATOR, AUDITOR}),
        "nav_audit": has_any_role(user, {SUPERVISOR, ADMINISTRATOR, AUDITOR}),
        "read_only": is_read_only(user),  # pages hide the forms an auditor may not send
    }
