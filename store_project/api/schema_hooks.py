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
        links.update(_links_to_creates_that_refer_to(path, paths, result))
        if links:
            created["links"] = links
    return result


def _links_to_creates_that_refer_to(path: str, paths: dict, result: dict) -> dict:
    """Links to the creates whose body names this resource by id.

    ``POST /api/v1/categories/`` links to ``POST /api/v1/products/`` with
    ``category`` set to the new category's id (a body field named after the
    resource, singular).
    """
    name = path.rstrip("/").rsplit("/", 1)[-1]
    singular = f"{name[:-3]}y" if name.endswith("ies") else name[:-1]
    schemas = result.get("components", {}).get("schemas", {})
    links = {}
    for other_path, other_item in paths.items():
        create = other_item.get("post", {})
        if other_path == path or "201" not in create.get("responses", {}):
            continue
        content = create.get("requestBody", {}).get("content", {})
        reference = content.get("application/json", {}).get("schema", {})
        body = schemas.get(reference.get("$ref", "").rsplit("/", 1)[-1], {})
        if singular in body.get("properties", {}):
            links[create["operationId"]] = {
                "operationId": create["operationId"],
                "requestBody": {singular: "$response.body#/id"},
            }
    return links
