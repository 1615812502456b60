"""The email template pages: list and search, the two-language form with the merge-field
list and the service's messages per field, the preview (person and language, HTML in a
sandboxed frame with the HTML escaped into srcdoc, text in <pre>), duplicate and delete,
and who may see or change templates."""

import html as html_lib
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import EmailTemplate
from tests.conftest import post_form
from tests.factories import make_contact, make_customer, make_lead, make_user
from tests.marketing_factories import make_template

HTMX = {"HX-Request": "true"}

FORM = {
    "name": "Welcome",
    "sender_name": "Rapport",
    "subject": 'Hi {{ contact.first_name | default("there") }}',
    "html_body": '<p onclick="x()">Hello {{ contact.first_name }}</p><script>alert(1)</script>'
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a>',
    "text_body": "",
    "sender_name_zh": "",
    "subject_zh": "{{ contact.full_name }} 您好",
    "html_body_zh": "",
    "text_body_zh": "",
}


def test_the_list_shows_templates_with_owner_and_searches(login):
    marketer = make_user(Role.MARKETING, name="Ann Marketer")
    make_template(marketer, name="Spring news", subject="Spring is here")
    make_template(marketer, name="Webinar invite", subject="Join us")
    client = login(make_user(Role.SALES))
    page = client.get("/marketing/templates").get_data(as_text=True)
    assert "Spring news" in page and "Webinar invite" in page and "Ann Marketer" in page
    assert 'id="new-template"' not in page
    fragment = client.get("/marketing/templates?q=webinar", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="template-results">')
    assert "Webinar invite" in fragment and "Spring news" not in fragment


def test_an_empty_list_explains_templates(login):
    client = login(make_user(Role.MARKETING))
    page = client.get("/marketing/templates").get_data(as_text=True)
    assert "No email templates yet." in page and 'id="new-template"' in page


def test_marketing_creates_a_template_and_it_is_sanitised(login):
    marketer = make_user(Role.MARKETING, name="Ann Marketer")
    client = login(marketer)
    form = client.get("/marketing/templates/new").get_data(as_text=True)
    assert "繁體中文" in form and "English" in form
    assert "{{ contact.first_name }}" in form and "{{ unsubscribe_url }}" in form
    assert 'value="Ann Marketer"' in form  # sender name defaults to the author
    response = post_form(client, "/marketing/templates/new", FORM)
    assert response.status_code == 302
    template = db.session.scalar(sa.select(EmailTemplate))
    assert response.headers["Location"].endswith(f"/marketing/templates/{template.id}")
    assert "<script" not in template.html_body and "onclick" not in template.html_body
    assert 'href="{{ unsubscribe_url }}"' in template.html_body
    assert template.owner_id == marketer.id


def test_the_form_shows_each_problem_on_its_field(login):
    client = login(make_user(Role.MARKETING))
    response = post_form(
        client,
        "/marketing/templates/new",
        {
            **FORM,
            "name": "",
            "subject": "{{ config }}",
            "html_body_zh": "{% for x in range(10**9) %}",
            "text_body": "{{ ''.__class__ }}",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a name for the template." in page
    assert re.search(r'id="subject-errors"[^>]*>Subject \(English\): Unknown merge field', page)
    assert re.search(r'id="html_body_zh-errors"[^>]*>HTML body \(Traditional Chinese\)', page)
    assert 'id="text_body-errors"' in page
    # What was typed stays in the form, escaped.
    assert "{% for x in range(10**9) %}" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailTemplate)) == 0


def test_the_page_previews_with_a_contact_and_escapes_the_html_into_srcdoc(login):
    marketer = make_user(Role.MARKETING)
    customer = make_customer(marketer, name="Acme")
    contact = make_contact(
        marketer, customer, first_name='<img src=x onerror="alert(1)">', last_name="Chen"
    )
    template = make_template(
        marketer,
        subject="Hi {{ contact.first_name }} at {{ company.name }}",
        html_body='<p>Hi {{ contact.first_name }}</p><a href="{{ unsubscribe_url }}">u</a>',
        text_body="",
    )
    client = login(marketer)
    page = client.get(f"/marketing/templates/{template.id}").get_data(as_text=True)
    assert f'value="contact:{contact.id}" selected' in page
    fragment = client.get(
        f"/marketing/templates/{template.id}/preview?person=contact:{contact.id}&locale=en",
        headers=HTMX,
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="template-preview"')
    frame = re.search(r"<iframe[^>]*>", fragment).group(0)
    assert 'sandbox=""' in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    # In the attribute the HTML is escaped once more; the frame sees the rendered email,
    # in which the contact's name is text.
    shown = html_lib.unescape(srcdoc)
    assert shown.startswith("<p>Hi &lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>") or (
        shown.startswith("<p>Hi &lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>")
    )
    assert 'href="#"' in shown
    assert "<img" not in shown
    subject = re.search(r'id="preview-subject">([^<]*)<', fragment).group(1)
    assert html_lib.unescape(subject) == 'Hi <img src=x onerror="alert(1)"> at Acme'
    text = re.search(r'<pre id="preview-text">([^<]*)</pre>', fragment).group(1)
    assert html_lib.unescape(text).startswith('Hi <img src=x onerror="alert(1)">')


def test_the_preview_with_a_lead_in_chinese(login):
    marketer = make_user(Role.MARKETING)
    lead = make_lead(marketer, first_name="美玲", last_name="陳", company="Beta")
    template = make_template(
        marketer,
        subject="Hello {{ contact.first_name }}",
        subject_zh="{{ contact.full_name }} 您好",
        html_body="",
        text_body="Hi",
        text_body_zh="{{ company.name }} 的朋友",
    )
    client = login(marketer)
    fragment = client.get(
        f"/marketing/templates/{template.id}/preview?person=lead:{lead.id}&locale=zh_Hant",
        headers=HTMX,
    ).get_data(as_text=True)
    assert "陳美玲 您好" in fragment
    assert "<iframe" not in fragment and "plain text only" in fragment
    assert '<pre id="preview-text">Beta 的朋友</pre>' in fragment
    # The no-JavaScript form goes to the page with the same choices.
    page = client.get(
        f"/marketing/templates/{template.id}?person=lead:{lead.id}&locale=zh_Hant"
    ).get_data(as_text=True)
    assert "陳美玲 您好" in page and 'value="zh_Hant" selected' in page


def test_the_preview_only_uses_people_the_user_may_read(login):
    marketer, rep = make_user(Role.MARKETING), make_user(Role.SALES)
    other_rep = make_user(Role.SALES)
    hidden = make_lead(other_rep, first_name="Secret", last_name="Person")
    mine = make_lead(rep, first_name="Visible", last_name="Lead")
    template = make_template(marketer, subject="{{ contact.first_name | default('nobody') }}")
    client = login(rep)
    url = f"/marketing/templates/{template.id}/preview?locale=en&person=lead:"
    assert "Secret" not in client.get(url + str(hidden.id), headers=HTMX).get_data(as_text=True)
    assert "Visible" in client.get(url + str(mine.id), headers=HTMX).get_data(as_text=True)
    assert "nobody" in client.get(url + "x", headers=HTMX).get_data(as_text=True)
    people = client.get("/marketing/templates/preview-people?q=e", headers=HTMX)
    options = people.get_data(as_text=True)
    assert f"lead:{mine.id}" in options and f"lead:{hidden.id}" not in options
    assert client.get("/marketing/templates/preview-people?q=visible").status_code == 200


def test_edit_duplicate_and_delete(login):
    marketer = make_user(Role.MARKETING)
    template = make_template(marketer, name="Original")
    client = login(marketer)
    edit = client.get(f"/marketing/templates/{template.id}/edit").get_data(as_text=True)
    assert 'value="Original"' in edit
    response = post_form(
        client, f"/marketing/templates/{template.id}/edit", {**FORM, "name": "Renamed"}
    )
    assert response.status_code == 302
    db.session.refresh(template)
    assert template.name == "Renamed" and template.subject_zh == "{{ contact.full_name }} 您好"
    response = post_form(client, f"/marketing/templates/{template.id}/duplicate")
    copy = db.session.scalar(sa.select(EmailTemplate).where(EmailTemplate.id != template.id))
    assert copy.name == "Copy of Renamed"
    assert response.headers["Location"].endswith(f"/marketing/templates/{copy.id}/edit")
    confirm = client.get(f"/marketing/templates/{template.id}/delete").get_data(as_text=True)
    assert 'id="confirm-delete"' in confirm
    response = post_form(client, f"/marketing/templates/{template.id}/delete")
    assert response.status_code == 302
    assert db.session.scalars(sa.select(EmailTemplate.id)).all() == [copy.id]


def test_sales_may_read_but_not_change_templates(login):
    marketer = make_user(Role.MARKETING)
    template = make_template(marketer)
    client = login(make_user(Role.SALES))
    page = client.get(f"/marketing/templates/{template.id}").get_data(as_text=True)
    assert 'id="template-preview"' in page
    assert 'id="edit-template"' not in page and 'id="delete-template"' not in page
    assert 'id="duplicate-template"' not in page
    for path in ("/new", f"/{template.id}/edit", f"/{template.id}/delete"):
        assert client.get("/marketing/templates" + path).status_code == 403
    assert post_form(client, "/marketing/templates/new", FORM).status_code == 403
    assert post_form(client, f"/marketing/templates/{template.id}/duplicate").status_code == 403
    assert post_form(client, f"/marketing/templates/{template.id}/delete").status_code == 403


def test_support_sees_no_templates(login):
    template = make_template(make_user(Role.MARKETING))
    support = login(make_user(Role.SUPPORT))
    for path in ("", f"/{template.id}", f"/{template.id}/preview", "/preview-people", "/new"):
        assert support.get("/marketing/templates" + path).status_code == 403
    assert 'id="nav-email-templates"' not in support.get("/").get_data(as_text=True)


def test_another_marketer_may_edit_but_not_delete(login):
    template = make_template(make_user(Role.MARKETING))
    client = login(make_user(Role.MARKETING))
    assert client.get(f"/marketing/templates/{template.id}/edit").status_code == 200
    assert client.get(f"/marketing/templates/{template.id}/delete").status_code == 403


def test_unknown_templates_are_404(login):
    client = login(make_user(Role.MARKETING))
    assert client.get("/marketing/templates/999999").status_code == 404
    assert client.get("/marketing/templates/999999/preview").status_code == 404


def test_posts_without_a_csrf_token_are_refused(login):
    template = make_template(make_user(Role.MARKETING))
    client = login(make_user(Role.MANAGER))
    assert client.post("/marketing/templates/new", data=FORM).status_code == 400
    assert client.post(f"/marketing/templates/{template.id}/delete").status_code == 400
    assert db.session.get(EmailTemplate, template.id) is not None
