"""An administrator sees that no backup exists, backs up from the Backups page, watches the
job finish, and finds the archive listed with the warning gone."""

import pytest

from app.models.identity import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_an_administrator_backs_up_now_and_the_warning_goes(
    app, page, background_worker, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "RAPPORT_BACKUP_DIR", str(tmp_path / "backups"))
    make_user(Role.ADMIN, email="bea.backup@example.com", name="Bea")
    page.goto("/login")
    page.fill("#email", "bea.backup@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto("/admin/users")
    page.click("#backup-warning a")
    assert "no backup has been made yet" in page.inner_text("#backup-warning")
    assert "No backups yet." in page.inner_text("main")

    page.click("#back-up-now")
    page.wait_for_selector("#backup-progress .badge-success", timeout=120_000)
    assert "Backup written: rapport-backup-" in page.inner_text("#backup-progress")

    page.reload()
    assert page.locator("#backup-warning").count() == 0
    assert page.locator("#backup-table tbody tr").count() == 1
    assert "rapport-backup-" in page.inner_text("#backup-1")
    page.screenshot(path=str(tmp_path / "backups.png"), full_page=True)
