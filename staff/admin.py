"""Back-office for employees, and the login accounts they are linked to."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from store_project.admin import ServiceModelAdmin

from . import services
from .models import Employee


@admin.register(Employee)
class EmployeeAdmin(ServiceModelAdmin):
    list_display = ("name", "position", "is_active", "user")
    list_select_related = ("user",)
    list_filter = ("is_active",)
    search_fields = ("name", "position", "user__username")
    autocomplete_fields = ("user",)
    filter_horizontal = ("locations",)
    fields = (*services.EMPLOYEE_EDITABLE_FIELDS[:4], "locations", "home_location")

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.fields}
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            services.employee_update(employee=obj, **changed)
        else:
            self.adopt(obj, services.employee_create(**data))

    def save_related(self, request, form, formsets, change):
        """Nothing more: the service wrote the locations with the employee."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.employee_delete(employee=obj)


User = get_user_model()


class StaffUserAdmin(UserAdmin):
    """Django's user admin, plus one look-up for whoever edits employees.

    Managers link login accounts to employees but have no rights on the
    accounts themselves: they may search them in the employee form's
    autocomplete, and nothing else of the user admin.
    """

    def save_related(self, request, form, formsets, change):
        """Groups (roles) go through the service, which audits a change."""
        roles = form.cleaned_data.pop("groups", None)
        super().save_related(request, form, formsets, change)
        if roles is not None:
            services.user_roles_set(user=form.instance, roles=list(roles))

    def has_view_permission(self, request, obj=None):
        if super().has_view_permission(request, obj):
            return True
        match = getattr(request, "resolver_match", None)
        return (
            obj is None
            and match is not None
            and match.url_name == "autocomplete"
            and request.user.has_perm("staff.change_employee")
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
