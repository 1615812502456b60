"""The import page offers the presets of the record type, pre-selects the one it recognised,
and applies another chosen by hand (a POST with its CSRF token)."""

from __future__ import annotations

import io
import re

from app.extensions import db
from app.models.identity import Role
from app.models.records import DataImport
from tests.conftest import csrf_token, post_form
from tests.factories import make_user

HUBSPOT = (
    b"Record ID,First Name,Last Name,Email,Company Name,Lead Status,Contact owner\n"
    b"1,Mei,Chen,mei@example.tw,Formosa,New,\n"
)


def _upload(client, data: bytes, entity: str = "lead") -> str:
    token = csrf_token(client, "/imports/")
    response = client.post(
        "/imports/",
        data={"csrf_token": token, "entity_type": entity, "file": (io.BytesIO(data), "export.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_a_recognised_export_is_shown_with_its_preset(client, login):
    login(make_user(Role.SALES))
    html = client.get(_upload(client, HUBSPOT)).get_data(as_text=True)
    assert re.search(r'<option value="hubspot_contacts" selected>', html)
    assert 'id="preset-notice"' in html
    assert "HubSpot companies export" not in html  # a preset for customers, not leads


def test_choosing_another_preset_remaps_the_file(client, login):
    login(make_user(Role.SALES))
    location = _upload(client, b"First Name,Last Name,Account Name\nIda,Holm,Holm AB\n")
    import_id = int(location.rstrip("/").split("/")[-1])
    assert db.session.get(DataImport, import_id).options["preset"] is None
    response = post_form(client, f"/imports/{import_id}/preset", {"preset": "salesforce_people"})
    assert response.status_code == 302
    db.session.expire_all()
    data_import = db.session.get(DataImport, import_id)
    assert data_import.options["preset"] == "salesforce_people"
    assert data_import.mapping["2"] == "company"
    assert client.post(f"/imports/{import_id}/preset", data={"preset": ""}).status_code == 400
