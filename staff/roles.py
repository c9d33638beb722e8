"""The role matrix of the API contract, as groups of Django permissions.

Each role is a group; a user's rights are the union of their groups'.
``sync_roles`` makes the groups match this table; the data migrations call
it with the historical app registry.
"""

_READ = [
    "catalog.view_category",
    "catalog.view_product",
    "catalog.view_taxclass",
    "catalog.view_taxrate",
    "inventory.view_location",
    "inventory.view_stocklevel",
    "inventory.view_stockmovement",
    "inventory.view_transfer",
    "inventory.view_transferline",
    "customers.view_client",
    "staff.view_employee",
    "sales.view_order",
    "sales.view_orderline",
    "sales.view_orderstatuschange",
    "catalog.view_supplier",
    "purchasing.view_purchaseorder",
    "purchasing.view_purchaseorderline",
    "sales.view_return",
    "sales.view_returnline",
]
_CLIENT_WRITE = ["customers.add_client", "customers.change_client"]
_DRAFT_ORDERS = [
    "sales.add_order",
    "sales.change_order",
    "sales.delete_order",
    "sales.add_orderline",
    "sales.change_orderline",
    "sales.delete_orderline",
    "sales.confirm_order",
    "sales.cancel_order",
]
_FULFILMENT = ["sales.ship_order", "sales.deliver_order"]
_RETURNS = ["sales.add_return"]
_STOCK = ["catalog.adjust_stock", "inventory.change_stocklevel"]
_WEBHOOKS = [
    "integrations.view_webhook",
    "integrations.add_webhook",
    "integrations.change_webhook",
    "integrations.delete_webhook",
    "integrations.view_delivery",
    "integrations.redeliver_delivery",
]
_BUYING = [
    "purchasing.add_purchaseorder",
    "purchasing.change_purchaseorder",
    "purchasing.delete_purchaseorder",
    "purchasing.add_purchaseorderline",
    "purchasing.change_purchaseorderline",
    "purchasing.delete_purchaseorderline",
    "purchasing.order_purchaseorder",
    "purchasing.close_purchaseorder",
    "purchasing.cancel_purchaseorder",
]
_RECEIVING = ["purchasing.receive_purchaseorder"]
_TRANSFERS = [
    "inventory.add_transfer",
    "inventory.change_transfer",
    "inventory.delete_transfer",
    "inventory.add_transferline",
    "inventory.change_transferline",
    "inventory.delete_transferline",
    "inventory.ship_transfer",
    "inventory.receive_transfer",
    "inventory.cancel_transfer",
]

ROLES: dict[str, list[str]] = {
    "manager": [
        *_READ,
        *_CLIENT_WRITE,
        "customers.delete_client",
        "customers.anonymize_client",
        "customers.export_client",
        *(
            f"{app}.{verb}_{model}"
            for app, model in [
                ("catalog", "category"),
                ("catalog", "product"),
                ("catalog", "taxclass"),
                ("catalog", "taxrate"),
                ("staff", "employee"),
                ("inventory", "location"),
                ("catalog", "supplier"),
            ]
            for verb in ("add", "change", "delete")
        ),
        *_STOCK,
        *_TRANSFERS,
        *_BUYING,
        *_RECEIVING,
        *_DRAFT_ORDERS,
        *_FULFILMENT,
        *_RETURNS,
        "sales.view_reports",
        *_WEBHOOKS,
        "audit.view_auditentry",
        # Managers see and act at every location, whatever their employee's.
        "inventory.access_all_locations",
    ],
    "clerk": [*_READ, *_CLIENT_WRITE, *_DRAFT_ORDERS, *_RETURNS],
    "warehouse": [*_READ, *_STOCK, *_TRANSFERS, *_FULFILMENT, *_RECEIVING],
}


# Permissions named <verb>_<model>: the model's own four, and custom ones so named.
_MODEL_VERBS = {"add", "change", "delete", "view", "redeliver"}


def sync_roles(apps) -> None:
    """Create the role groups and give each exactly its permissions."""
    from django.contrib.auth.management import create_permissions

    # Permissions of models created in the same migrate run do not exist yet.
    # (create_permissions skips app configs without a models module, which the
    # historical registry's stand-ins never have.)
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # An older migration runs before later models exist: their permissions
    # are left for the migration that adds the model, which syncs again.
    known = {(m._meta.app_label, m._meta.model_name) for m in apps.get_models()}
    for role, codenames in ROLES.items():
        wanted = set(codenames)
        permissions = []
        for name in sorted(wanted):
            app_label, codename = name.split(".")
            if not _has_models(apps, app_label):
                # An app whose models all come in a later migration: its own
                # permissions (custom ones too) wait for that migration's sync.
                continue
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            verb, _, model = codename.partition("_")
            if (
                found is None
                and verb in _MODEL_VERBS
                and (app_label, model) not in known
            ):
                continue
            if found is None:
                raise LookupError(f"No permission {name}")
            permissions.append(found)
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)


def _has_models(apps, app_label: str) -> bool:
    try:
        return bool(list(apps.get_app_config(app_label).get_models()))
    except LookupError:
        return False
