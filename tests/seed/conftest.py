import pytest

from tests.conftest import ensure_roles


@pytest.fixture
def roles(db):
    """The role groups, which transactional tests elsewhere may have flushed."""
    ensure_roles()
