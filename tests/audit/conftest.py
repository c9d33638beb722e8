from tests.admin.conftest import admin_as, clerk, manager  # noqa: F401
