"""Email templates over the API: create (sanitised, merge fields checked), change, search,
delete, the preview as a contact or lead, and who may read or write."""

from app.models.identity import Role
from app.models.marketing import SendState
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_campaign, make_template

BODY = {
    "name": "Launch",
    "sender_name": "Rapport",
    "subject": 'Hi {{ contact.first_name | default("there") }}',
    "html_body": '<p>Hi {{ contact.first_name }}</p><img src="https://x.example/a.png" '
    'onerror="alert(1)"><a href="{{ unsubscribe_url }}" hx-get="/x">Unsubscribe</a>',
    "subject_zh": "{{ contact.full_name }} 您好",
}


def test_marketing_creates_changes_searches_and_deletes_a_template(client, token_for):
    marketer = make_user(Role.MARKETING)
    headers = token_for(marketer)
    created = client.post("/api/v1/email-templates", json=BODY, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["owner_id"] == marketer.id
    assert "onerror" not in body["html_body"] and "hx-get" not in body["html_body"]
    assert 'href="{{ unsubscribe_url }}"' in body["html_body"]
    assert body["text_body"] == "" and body["subject_zh"] == "{{ contact.full_name }} 您好"

    url = f"/api/v1/email-templates/{body['id']}"
    changed = client.patch(url, json={"name": "Launch v2", "text_body_zh": "你好"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["name"] == "Launch v2"
    assert changed.get_json()["subject"] == BODY["subject"]
    found, _ = _walk(client, "/api/v1/email-templates?q=v2", headers)
    assert [t["id"] for t in found] == [body["id"]]
    assert _walk(client, "/api/v1/email-templates?q=nothing", headers)[0] == []

    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_bad_merge_fields_answer_422_naming_part_and_language(client, token_for):
    headers = token_for(make_user(Role.MARKETING))
    response = client.post(
        "/api/v1/email-templates",
        json={
            **BODY,
            "subject": "{{ config }}",
            "html_body_zh": "{{ self.__init__.__globals__ }}",
            "text_body": "{% for x in range(10**9) %}",
        },
        headers=headers,
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"subject", "html_body_zh", "text_body"}
    assert fields["subject"][0].startswith("Subject (English): Unknown merge field")
    assert fields["html_body_zh"][0].startswith("HTML body (Traditional Chinese): ")
    missing = client.post("/api/v1/email-templates", json={"name": "x"}, headers=headers)
    assert missing.status_code == 422


def test_preview_as_a_contact_or_lead(client, token_for):
    marketer = make_user(Role.MARKETING, name="Ann")
    contact = make_contact(marketer, first_name="<b>Mei</b>", last_name="Chen")
    lead = make_lead(marketer, first_name="美玲", last_name="陳", company="Beta")
    template = make_template(
        marketer,
        sender_name="",
        subject="Hi {{ contact.first_name }}",
        subject_zh="{{ contact.full_name }} 您好 ({{ company.name }})",
        html_body="<p>{{ contact.first_name }} / {{ sender.name }}</p>"
        '<a href="{{ unsubscribe_url }}">u</a>',
        text_body="",
    )
    headers = token_for(marketer)
    url = f"/api/v1/email-templates/{template.id}/preview"
    as_contact = client.post(url, json={"contact_id": contact.id}, headers=headers)
    assert as_contact.status_code == 200, as_contact.get_json()
    assert as_contact.get_json() == {
        "subject": "Hi <b>Mei</b>",
        "sender_name": "",
        "html": '<p>&lt;b&gt;Mei&lt;/b&gt; / Ann</p><a href="#">u</a>',
        "text": "<b>Mei</b> / Ann\n\nu",
    }
    as_lead = client.post(url, json={"lead_id": lead.id, "locale": "zh_Hant"}, headers=headers)
    assert as_lead.get_json()["subject"] == "陳美玲 您好 (Beta)"
    nobody = client.post(url, json={}, headers=headers)
    assert nobody.get_json()["subject"] == "Hi"
    assert client.post(url, json={"locale": "fr"}, headers=headers).status_code == 422
    both = client.post(url, json={"contact_id": contact.id, "lead_id": lead.id}, headers=headers)
    assert both.status_code == 422


def test_preview_refuses_people_the_caller_may_not_read(client, token_for):
    marketer, rep, other = (make_user(Role.MARKETING), make_user(Role.SALES),
                            make_user(Role.SALES))  # fmt: skip
    template = make_template(marketer)
    hidden = make_lead(other)
    headers = token_for(rep)
    url = f"/api/v1/email-templates/{template.id}/preview"
    assert_error(client.post(url, json={"lead_id": hidden.id}, headers=headers), 404, "not_found")
    assert_error(client.post(url, json={"contact_id": 999999}, headers=headers), 404, "not_found")


def test_sales_read_and_support_is_refused(client, token_for):
    template = make_template(make_user(Role.MARKETING), name="Shared")
    sales = token_for(make_user(Role.SALES))
    found, _ = _walk(client, "/api/v1/email-templates", sales)
    assert [t["name"] for t in found] == ["Shared"]
    url = f"/api/v1/email-templates/{template.id}"
    assert client.get(url, headers=sales).status_code == 200
    assert_error(client.patch(url, json={"name": "x"}, headers=sales), 403, "forbidden")
    assert_error(client.delete(url, headers=sales), 403, "forbidden")
    assert_error(client.post("/api/v1/email-templates", json=BODY, headers=sales), 403, "forbidden")

    support = token_for(make_user(Role.SUPPORT))
    assert_error(client.get("/api/v1/email-templates", headers=support), 403, "forbidden")
    assert_error(client.get(url, headers=support), 404, "not_found")
    assert_error(client.post(url + "/preview", json={}, headers=support), 404, "not_found")


def test_delete_is_refused_while_a_campaign_sends_it(client, token_for):
    marketer = make_user(Role.MARKETING)
    template = make_template(marketer)
    make_campaign(marketer, name="Big send", template=template, send_state=SendState.SENDING)
    response = client.delete(f"/api/v1/email-templates/{template.id}", headers=token_for(marketer))
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert "Big send" in fields["template"][0]
