"""Assertions shared by the API tests."""


def assert_error(response, status: int, *, code: str | None = None, attr=...):
    """The response is an error in the contract's single JSON shape."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] in {"validation_error", "client_error", "server_error"}
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
        assert isinstance(error["detail"], str) and error["detail"]
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    if attr is not ...:
        assert attr in [e["attr"] for e in body["errors"]], body
    return body
