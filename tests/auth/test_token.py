import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from staff.auth import LoginRateThrottle
from tests.factories import UserFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_token_opens_the_api():
    UserFactory(username="ann", roles=["clerk"])
    api = APIClient()

    response = api.post(URL, {"username": "ann", "password": "correct-horse-9"})

    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/products/").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer():
    UserFactory(username="ann")
    api = APIClient()

    wrong = api.post(URL, {"username": "ann", "password": "nope"})
    unknown = api.post(URL, {"username": "nobody", "password": "nope"})

    assert_error(wrong, 400)
    assert_error(unknown, 400)
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize(
    "body", [{}, {"username": "ann"}, {"password": "x"}, [1], {"username": 5}]
)
def test_malformed_login_is_400(body):
    assert_error(APIClient().post(URL, body, format="json"), 400)


def test_login_attempts_are_throttled_per_username(monkeypatch):
    monkeypatch.setattr(LoginRateThrottle, "rate", "3/min", raising=False)
    UserFactory(username="ann")
    api = APIClient()

    statuses = [
        api.post(URL, {"username": "ann", "password": "bad"}).status_code
        for _ in range(4)
    ]
    other_user = api.post(URL, {"username": "bob", "password": "bad"})

    assert statuses == [400, 400, 400, 429]
    assert_error(api.post(URL, {"username": "ann", "password": "bad"}), 429)
    assert (
        other_user.status_code == 400
    )  # a colleague at the same till is not locked out


def test_get_on_the_token_endpoint_is_405():
    assert_error(APIClient().get(URL), 405)
