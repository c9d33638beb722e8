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
        if getattr(view, "_ignore_model_permissions", False):
            return True  # DRF's API root
        perms = self.get_required_permissions(request.method, self._model(view))
        return request.user.has_perms(perms)

    # A view's queryset is built anew for every request (scope, annotations),
    # but its model is the same every time: building one only to read its
    # model cost more than the check itself.
    _models: dict[type, type] = {}

    def _model(self, view):
        model = self._models.get(type(view))
        if model is None:
            model = self._models[type(view)] = self._queryset(view).model
        return model
