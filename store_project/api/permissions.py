"""Who may do what: Django model permissions, reading included, plus actions."""

from rest_framework.permissions import DjangoModelPermissions

_VIEW = "%(app_label)s.view_%(model_name)s"


class RolePermission(DjangoModelPermissions):
    """Model permissions for CRUD, and named permissions for custom actions.

    Unlike DRF's default, reading needs the ``view`` permission, so a user in
    no group reads nothing. A view declares the permissions of its custom
    actions in ``action_permissions = {"confirm": ["sales.confirm_order"]}``.
    """

    perms_map = {
        "GET": [_VIEW],
        "HEAD": [_VIEW],
        "OPTIONS": [_VIEW],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, request.method.lower(), None) is None:
            return True  # the view answers 405 Method Not Allowed
        action = getattr(view, "action", None)
        required = getattr(view, "action_permissions", {}).get(action)
        if required is not None:
            return request.user.has_perms(required)
        return super().has_permission(request, view)
