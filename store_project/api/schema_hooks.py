"""Post-processing of the generated OpenAPI document, for what it got wrong."""

import re


def list_item_error_attrs(result, generator, request, public):
    """Document the ``attr`` of errors inside lists as the errors name it.

    drf-standardized-errors writes ``lines.INDEX.product`` in the schema, but
    the errors say ``lines.0.product``; the attribute becomes a pattern.
    """
    for component in result.get("components", {}).get("schemas", {}).values():
        attr = component.get("properties", {}).get("attr", {})
        names = attr.get("enum", [])
        if len(names) == 1 and "INDEX" in names[0].split("."):
            escaped = re.escape(names[0]).replace("INDEX", r"\d+")
            del attr["enum"]
            attr["pattern"] = f"^{escaped}$"
    return result


def empty_query_values(result, generator, request, public):
    """Say that an empty query value (``?status=``) is allowed: it is ignored.

    django-filter, search, ordering and pagination all treat an empty value
    as if the parameter were not given.
    """
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result


def create_links(result, generator, request, public):
    """OpenAPI links from each create (201) to the operations on what it made.

    ``POST /api/v1/orders/`` links to every operation under
    ``/api/v1/orders/{id}/``, its ``id`` taken from the created object, so
    clients (and schemathesis' stateful tests) can follow create → read,
    update, delete and the actions.
    """
    paths = result.get("paths", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        links = {}
        for other_path, other_item in paths.items():
            if not other_path.startswith(f"{path}{{id}}/"):
                continue
            for operation in other_item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {"id": "$response.body#/id"},
                    }
        if links:
            created["links"] = links
    return result
