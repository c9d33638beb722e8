"""Token authentication in one query: token, user, employee and permissions."""

from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from inventory.selectors import remember_employee_locations

from .models import Employee

_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@cache
def _query() -> tuple[str, list[str], list[str]]:
    """The SQL, and the user's and the employee's field names in its columns.

    Built once from the models' metadata, so custom table names still work.
    """
    from rest_framework.authtoken.models import Token

    qn = connection.ops.quote_name
    User = get_user_model()
    user_fields = list(User._meta.concrete_fields)
    employee_fields = list(Employee._meta.concrete_fields)
    user_perms = User.user_permissions.through._meta
    group_perms = Group.permissions.through._meta
    user_groups = User.groups.through._meta
    employee_locations = Employee.locations.through._meta
    name = (
        f"ct.{qn(ContentType._meta.get_field('app_label').column)} || '.' || "
        f"p.{qn(Permission._meta.get_field('codename').column)}"
    )
    permission = (
        f"JOIN {qn(Permission._meta.db_table)} p ON p.id = x.permission_id "
        f"JOIN {qn(ContentType._meta.db_table)} ct ON ct.id = p.content_type_id"
    )
    sql = f"""
        SELECT {", ".join(f"u.{qn(f.column)}" for f in user_fields)},
               {", ".join(f"e.{qn(f.column)}" for f in employee_fields)},
               t.{qn(Token._meta.get_field("created").column)},
               ARRAY(SELECT {name} FROM {qn(user_perms.db_table)} x {permission}
                     WHERE x.user_id = u.id),
               ARRAY(SELECT {name} FROM {qn(user_groups.db_table)} g
                     JOIN {qn(group_perms.db_table)} x ON x.group_id = g.group_id
                     {permission}
                     WHERE g.user_id = u.id),
               ARRAY(SELECT x.{qn(employee_locations.get_field("location").column)}
                     FROM {qn(employee_locations.db_table)} x
                     WHERE x.{qn(employee_locations.get_field("employee").column)}
                         = e.{qn(Employee._meta.pk.column)})
        FROM {qn(Token._meta.db_table)} t
        JOIN {qn(User._meta.db_table)} u ON u.{qn(User._meta.pk.column)} = t.user_id
        LEFT JOIN {qn(Employee._meta.db_table)} e ON e.user_id = u.id
        WHERE t.key = %s
    """
    return (
        sql,
        [f.attname for f in user_fields],
        [f.attname for f in employee_fields],
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication for one round trip and no ORM compilation.

    Every API request authenticates and then checks the user's permissions,
    which cost DRF and Django's ``ModelBackend`` three ORM queries (token and
    user, the user's own permissions, their groups'), more CPU than the rest
    of a product-list request. One SQL statement reads the token, the user,
    their employee record (a new order defaults to it), both permission sets,
    which fill the backend's per-request caches, and the employee's locations
    (the user's location scope): as fresh as before, since they are read on
    every request.
    """

    def authenticate_credentials(self, key):
        sql, user_names, employee_names = _query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        split = len(user_names)
        user = get_user_model().from_db(connection.alias, user_names, row[:split])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        employee_row = row[split : split + len(employee_names)]
        employee = None
        if employee_row[0] is not None:
            employee = Employee.from_db(connection.alias, employee_names, employee_row)
            Employee.user.field.set_cached_value(employee, user)
        Employee.user.field.remote_field.set_cached_value(user, employee)
        created, user_permissions, group_permissions, location_ids = row[-4:]
        remember_employee_locations(user, location_ids)
        token = self.get_model().from_db(
            connection.alias, ["key", "user_id", "created"], [key, user.pk, created]
        )
        type(token).user.field.set_cached_value(token, user)
        # The caches ModelBackend fills on first use. A superuser's would be
        # every permission, which ModelBackend reads itself if ever asked.
        if not user.is_superuser and settings.AUTHENTICATION_BACKENDS == [
            _MODEL_BACKEND
        ]:
            user._user_perm_cache = set(user_permissions)
            user._group_perm_cache = set(group_permissions)
        return (user, token)
