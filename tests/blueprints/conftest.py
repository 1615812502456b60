import pytest

from app.models.identity import Role
from tests.factories import make_user


@pytest.fixture
def admin(login):
    """An administrator, signed in on the `client`."""
    user = make_user(role=Role.ADMIN, name="Ada Admin")
    login(user)
    return user
