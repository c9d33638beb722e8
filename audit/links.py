"""Where an entry's object lives in the back-office (no admin registration
here, so the admin site itself may import it)."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse


def admin_url_of(site: admin.AdminSite, object_type: str, object_id: int) -> str | None:
    """The change page of an entry's object, when the site has one."""
    for model in site._registry:
        if model._meta.model_name == object_type:
            opts = model._meta
            try:
                return reverse(
                    f"{site.name}:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                )
            except NoReverseMatch:
                return None
    return None
