"""Email templates: validation (merge fields in every part and language, lengths), the HTML
sanitiser (scripts, handlers, hx-*, javascript: links out; merge fields in links kept),
rendering per language with per-part fallback and a derived text part, previews with a
real contact or lead, duplicate and delete, permissions, and the list."""

import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import EmailTemplate, SendState
from app.models.records import AuditEntry
from app.permissions import PermissionDenied
from app.services import email_html, email_templates, merge_fields
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_lead, make_user
from tests.marketing_factories import make_campaign, make_template

GOOD = {
    "name": "Spring newsletter",
    "sender_name": "Rapport team",
    "subject": 'Hello {{ contact.first_name | default("there") }}',
    "html_body": '<p>Hi {{ contact.first_name | default("there") }},</p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    "text_body": "Hi {{ contact.first_name }}\nUnsubscribe: {{ unsubscribe_url }}",
}


def _errors(call, *args, **fields) -> dict:
    with pytest.raises(RecordInvalid) as refused:
        call(*args, **fields)
    return refused.value.errors


def _clean(source: str) -> str:
    cleaned, problems = email_html.sanitise_html(source)
    assert problems == []
    return cleaned


def test_marketing_creates_a_template_owned_by_them_and_it_is_audited():
    marketer = make_user(Role.MARKETING)
    template = email_templates.create_template(
        marketer, **GOOD, subject_zh="{{ contact.full_name }} 您好", html_body_zh="<p>您好</p>"
    )
    db.session.commit()
    assert template.owner_id == marketer.id
    assert template.subject_zh == "{{ contact.full_name }} 您好"
    assert template.text_body_zh == ""
    # Placeholders survive sanitising, rewritten so they are valid HTML.
    assert "{{ contact.first_name | default('there') }}" in template.html_body
    assert 'href="{{ unsubscribe_url }}"' in template.html_body
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "email_templates")
    )
    assert entry.entity_id == str(template.id)


def test_name_and_subject_are_required_and_a_body_is_needed():
    marketer = make_user(Role.MARKETING)
    errors = _errors(email_templates.create_template, marketer, name=" ", subject="")
    assert errors == {
        "name": "Enter a name for the template.",
        "subject": "Enter the subject.",
        "html_body": "Write the email: an HTML body, a text body or both.",
    }


def test_lengths_are_limited():
    marketer = make_user(Role.MARKETING)
    errors = _errors(
        email_templates.create_template,
        marketer,
        **{**GOOD, "name": "n" * 121, "subject_zh": "s" * 256, "sender_name": "x" * 121},
    )
    assert set(errors) == {"name", "subject_zh", "sender_name"}
    assert "120" in errors["name"]


def test_merge_field_problems_name_the_part_and_language():
    marketer = make_user(Role.MARKETING)
    errors = _errors(
        email_templates.create_template,
        marketer,
        **{
            **GOOD,
            "subject": "Hi {{ config }}",
            "text_body_zh": "{% for x in range(10**9) %}",
            "html_body_zh": "<p>{{ self.__init__.__globals__ }}</p>",
            "sender_name_zh": "{{ contact.first_name",
        },
    )
    assert set(errors) == {"subject", "text_body_zh", "html_body_zh", "sender_name_zh"}
    assert errors["subject"].startswith("Subject (English): ")
    assert "config" in errors["subject"]
    assert errors["text_body_zh"].startswith("Plain-text body (Traditional Chinese): ")
    assert errors["html_body_zh"].startswith("HTML body (Traditional Chinese): ")
    assert errors["sender_name_zh"].startswith("Sender name (Traditional Chinese): ")


def test_a_merge_field_may_not_decide_where_a_link_goes():
    marketer = make_user(Role.MARKETING)
    errors = _errors(
        email_templates.create_template,
        marketer,
        **{**GOOD, "html_body": '<a href="{{ contact.first_name }}">x</a>'},
    )
    assert "link or image address" in errors["html_body"]


def test_a_200k_body_is_accepted_and_a_longer_one_refused():
    marketer = make_user(Role.MARKETING)
    body = "<p>" + "x" * (merge_fields.MAX_TEMPLATE_CHARS - 7) + "</p>"
    template = email_templates.create_template(marketer, **{**GOOD, "html_body": body})
    assert len(template.html_body) == merge_fields.MAX_TEMPLATE_CHARS
    errors = _errors(email_templates.update_template, template, marketer, text_body="y" * 200_001)
    assert "200000" in errors["text_body"]


@pytest.mark.parametrize(
    ("source", "gone"),
    [
        ("<p>a</p><script>alert(1)</script>", ["<script", "alert"]),
        ('<img src="https://x.example/a.png" onerror="alert(1)">', ["onerror", "alert"]),
        ('<a href="javascript:alert(1)">x</a>', ["javascript"]),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', ["alert"]),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', ["data:", "script"]),
        ('<div hx-get="/admin" hx-trigger="load" hx-swap="outerHTML">x</div>', ["hx-"]),
        ('<p onclick="alert(1)" onmouseover="x">x</p>', ["onclick", "onmouseover"]),
        ('<iframe src="https://evil.example"></iframe>', ["iframe", "evil"]),
        ('<form action="https://evil.example"><input name="p"></form>', ["form", "input"]),
        ("<style>body{display:none}</style><p>x</p>", ["style", "display"]),
        ('<p style="background:url(https://t.example/p.gif)">x</p>', ["url(", "style"]),
        ('<p style="color: expression(alert(1))">x</p>', ["expression"]),
        ('<svg><a xlink:href="javascript:alert(1)">x</a></svg>', ["svg", "javascript"]),
        ('<object data="x.swf"></object><embed src="x">', ["object", "embed"]),
        ('<meta http-equiv="refresh" content="0;url=https://e.example">', ["meta", "refresh"]),
        ("<!-- {{ config }} --><p>x</p>", ["<!--", "config"]),
        ('<a href="/relative">x</a><a href="#top">y</a>', ["href"]),
    ],
)
def test_the_sanitiser_strips_what_could_run_or_track(source, gone):
    cleaned, _ = email_html.sanitise_html(source)
    for fragment in gone:
        assert fragment.lower() not in cleaned.lower()


def test_the_sanitiser_keeps_email_formatting():
    source = (
        '<h1>Title</h1><p style="color: #333; font-size: 14px; position: fixed">'
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><br></p>"
        '<ul><li>one</li></ul><ol><li>two</li></ol><table width="600" cellpadding="4">'
        '<thead><tr><th align="left">h</th></tr></thead><tbody><tr><td colspan="2">d</td>'
        '</tr></tbody></table><img src="https://cdn.example/logo.png" alt="Logo" width="120" '
        'height="40"><a href="https://example.com/?a=1&amp;b=2" title="t">link</a>'
        '<a href="mailto:hi@example.com">mail</a>'
    )
    cleaned = _clean(source)
    for kept in (
        "<h1>Title</h1>",
        "color:#333",
        "font-size:14px",
        "<b>b</b>",
        "<strong>s</strong>",
        "<li>one</li>",
        '<table width="600" cellpadding="4">',
        '<th align="left">',
        '<td colspan="2">',
        '<img src="https://cdn.example/logo.png" alt="Logo" width="120" height="40">',
        'href="https://example.com/?a=1&amp;b=2"',
        'href="mailto:hi@example.com"',
    ):
        assert kept in cleaned
    assert "position" not in cleaned


def test_merge_fields_in_links_and_attributes_survive_sanitising():
    source = (
        '<a href="{{ unsubscribe_url }}">Unsubscribe</a>'
        '<a href="{{preferences_url}}">Preferences</a>'
        '<a href="https://example.com/?e={{ contact.email }}" '
        'title="{{ contact.first_name | default("you") }}">Site</a>'
        '<a href="mailto:{{ contact.email }}">Mail</a>'
        '<img src="https://cdn.example/{{ company.name }}.png" alt="{{ company.name }}">'
    )
    cleaned = _clean(source)
    assert 'href="{{ unsubscribe_url }}"' in cleaned
    assert 'href="{{ preferences_url }}"' in cleaned
    assert 'href="https://example.com/?e={{ contact.email }}"' in cleaned
    assert "title=\"{{ contact.first_name | default('you') }}\"" in cleaned
    assert 'href="mailto:{{ contact.email }}"' in cleaned
    assert 'src="https://cdn.example/{{ company.name }}.png"' in cleaned
    # Sanitising again changes nothing (editing and saving keeps the template).
    assert _clean(cleaned) == cleaned
    html = merge_fields.substitute(
        cleaned,
        {"unsubscribe_url": "https://crm.example/u/t?x=1&y=2", "contact.email": 'a"b@x.io'},
        html_part=True,
    )
    assert 'href="https://crm.example/u/t?x=1&amp;y=2"' in html
    assert 'href="https://example.com/?e=a&quot;b@x.io"' in html
    assert 'title="you"' in html


def test_a_default_with_markup_cannot_inject_html():
    cleaned = _clean('<p>{{ contact.first_name | default("</p><script>alert(1)") }}</p>')
    assert "<script" not in cleaned
    html = merge_fields.substitute(cleaned, {}, html_part=True)
    assert html == "<p>&lt;/p&gt;&lt;script&gt;alert(1)</p>"


def test_render_substitutes_each_part_and_escapes_html_values():
    template = make_template(None, **{**GOOD, "html_body": _clean(GOOD["html_body"])})
    values = {
        "contact.first_name": "<script>{{ contact.email }}",
        "unsubscribe_url": "https://crm.example/u/1",
    }
    rendered = email_templates.render(template, "en", values)
    assert rendered == email_templates.RenderedEmail(
        subject="Hello <script>{{ contact.email }}",
        sender_name="Rapport team",
        html="<p>Hi &lt;script&gt;{{ contact.email }},</p>"
        '<p><a href="https://crm.example/u/1" rel="noopener noreferrer">Unsubscribe</a></p>',
        text="Hi <script>{{ contact.email }}\nUnsubscribe: https://crm.example/u/1",
    )


def test_render_uses_defaults_when_values_are_empty():
    template = make_template(None, **GOOD)
    rendered = email_templates.render(template, "en", {})
    assert rendered.subject == "Hello there"
    assert "Hi there," in rendered.html


def test_chinese_parts_are_used_for_zh_locales_each_falling_back_on_its_own():
    template = make_template(
        None,
        **GOOD,
        subject_zh="{{ contact.full_name }} 您好",
        html_body_zh="<p>親愛的 {{ contact.full_name }}</p>",
        text_body_zh="  ",
    )
    values = {"contact.full_name": "陳美玲", "contact.first_name": "美玲"}
    for locale in ("zh_Hant", "zh-TW", "zh"):
        rendered = email_templates.render(template, locale, values)
        assert rendered.subject == "陳美玲 您好"
        assert rendered.sender_name == "Rapport team"  # no Chinese sender: English one
        assert rendered.html == "<p>親愛的 陳美玲</p>"
        assert rendered.text.startswith("Hi 美玲")  # blank Chinese text: English one
    english = email_templates.render(template, "en", values)
    assert english.subject == "Hello 美玲"


def test_no_html_body_means_text_only_and_no_text_body_is_derived_from_html():
    text_only = make_template(None, **{**GOOD, "html_body": ""})
    assert email_templates.render(text_only, "en", {}).html == ""
    html_only = make_template(
        None,
        **{
            **GOOD,
            "text_body": "",
            "html_body": "<h1>News &amp; views</h1><p>Hi {{ contact.first_name }},<br>"
            'see <a href="https://example.com/a?b=1&amp;c=2">our <b>site</b></a>.</p>'
            "<ul><li>One</li><li>Two</li></ul>"
            '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
            '<p><a href="https://example.com">https://example.com</a></p>',
        },
    )
    rendered = email_templates.render(
        html_only, "en", {"contact.first_name": "<Mei>", "unsubscribe_url": "https://u.example/x"}
    )
    assert rendered.text == (
        "News & views\n\nHi <Mei>,\nsee our site (https://example.com/a?b=1&c=2).\n\n"
        "- One\n- Two\n\nUnsubscribe (https://u.example/x)\n\nhttps://example.com"
    )


def test_preview_uses_a_contacts_real_values_and_placeholder_links():
    marketer = make_user(Role.MARKETING, name="Ann Marketer")
    customer = make_customer(marketer, name="Acme 有限公司")
    contact = make_contact(
        marketer,
        customer,
        first_name="Mei",
        last_name="Chen",
        email="mei@acme.example",
        title="CTO",
    )
    template = make_template(
        marketer,
        sender_name="",
        subject="{{ contact.full_name }} at {{ company.name }} ({{ contact.title }})",
        html_body="<p>{{ sender.name }} / {{ campaign.name }} / {{ contact.email }}</p>"
        '<a href="{{ unsubscribe_url }}">u</a><a href="{{ preferences_url }}">p</a>',
        text_body="",
    )
    rendered = email_templates.preview(template, "en", contact, marketer)
    assert rendered.subject == "Mei Chen at Acme 有限公司 (CTO)"
    assert rendered.sender_name == ""
    assert "<p>Ann Marketer / (campaign) / mei@acme.example</p>" in rendered.html
    assert 'href="#"' in rendered.html


def test_preview_with_a_lead_and_the_templates_sender_name():
    marketer = make_user(Role.MARKETING)
    lead = make_lead(marketer, first_name="美玲", last_name="陳", company="Beta 公司", title="")
    template = make_template(
        marketer,
        sender_name="Rapport 團隊",
        subject='{{ contact.full_name }} / {{ company.name }} / {{ contact.title | default("-") }}',
        text_body="From {{ sender.name }}",
    )
    rendered = email_templates.preview(template, "zh_Hant", lead, marketer)
    assert rendered.subject == "陳美玲 / Beta 公司 / -"
    assert rendered.text == "From Rapport 團隊"


def test_update_changes_only_given_fields_and_checks_them():
    marketer = make_user(Role.MARKETING)
    template = email_templates.create_template(marketer, **GOOD)
    email_templates.update_template(template, marketer, subject_zh="新消息")
    assert template.subject_zh == "新消息"
    assert template.subject == GOOD["subject"]
    errors = _errors(
        email_templates.update_template, template, marketer, html_body="", text_body=""
    )
    assert "html_body" in errors
    with pytest.raises(TypeError):
        email_templates.update_template(template, marketer, owner_id=1)


def test_duplicate_copies_every_part_for_the_actor():
    marketer, other = make_user(Role.MARKETING), make_user(Role.MANAGER)
    template = make_template(marketer, subject_zh="你好", html_body_zh="<p>你好</p>")
    copy = email_templates.duplicate_template(template, other)
    db.session.commit()
    assert copy.id != template.id
    assert copy.name == f"Copy of {template.name}"
    assert copy.owner_id == other.id
    for field in ("subject", "subject_zh", "html_body", "html_body_zh", "text_body"):
        assert getattr(copy, field) == getattr(template, field)


def test_delete_is_refused_while_a_campaign_sends_the_template():
    marketer = make_user(Role.MARKETING)
    template = make_template(marketer)
    campaign = make_campaign(marketer, template=template, send_state=SendState.SENDING)
    errors = _errors(email_templates.delete_template, template, marketer)
    assert campaign.name in errors["template"]
    campaign.send_state = SendState.SENT
    db.session.commit()
    email_templates.delete_template(template, marketer)
    db.session.commit()
    assert db.session.get(EmailTemplate, template.id) is None
    db.session.refresh(campaign)
    assert campaign.template_id is None


def test_permissions_by_role():
    marketer, other_marketer = make_user(Role.MARKETING), make_user(Role.MARKETING)
    sales, support = make_user(Role.SALES), make_user(Role.SUPPORT)
    template = make_template(marketer)
    for actor in (sales, support):
        with pytest.raises(PermissionDenied):
            email_templates.create_template(actor, **GOOD)
        with pytest.raises(PermissionDenied):
            email_templates.update_template(template, actor, name="x")
        with pytest.raises(PermissionDenied):
            email_templates.delete_template(template, actor)
    # Marketing edits everyone's templates but deletes only their own.
    email_templates.update_template(template, other_marketer, name="Renamed")
    with pytest.raises(PermissionDenied):
        email_templates.delete_template(template, other_marketer)
    filters = email_templates.TemplateFilters()
    assert [t.id for t in db.session.scalars(email_templates.templates_query(sales, filters))] == [
        template.id
    ]
    assert list(db.session.scalars(email_templates.templates_query(support, filters))) == []


def test_the_list_searches_and_pages():
    marketer = make_user(Role.MARKETING)
    for n in range(5):
        make_template(marketer, name=f"Template {n}", subject=f"Subject {n}")
    make_template(marketer, name="Autumn 100%_offer", subject="Offer")
    filters = email_templates.TemplateFilters.from_args({"q": "100%_"})
    rows, _ = email_templates.template_page(marketer, filters)
    assert [row.name for row in rows] == ["Autumn 100%_offer"]
    filters = email_templates.TemplateFilters.from_args({"sort": "name"})
    first, cursor = email_templates.template_page(marketer, filters, limit=4)
    rest, last = email_templates.template_page(marketer, filters, cursor, limit=4)
    assert [row.name for row in first + rest] == sorted(
        ["Autumn 100%_offer"] + [f"Template {n}" for n in range(5)]
    )
    assert last is None
    assert email_templates.TemplateFilters.from_args({"sort": "evil"}).sort == "updated_at"


def test_deeply_nested_or_overlong_html_is_refused_quickly():
    marketer = make_user(Role.MARKETING)
    started = time.perf_counter()
    errors = _errors(
        email_templates.create_template, marketer, **{**GOOD, "html_body": "<div>" * 40_000}
    )
    assert "levels deep" in errors["html_body"]
    # Cleaning escapes each stray "<" as "&lt;": the stored body would pass the limit.
    errors = _errors(
        email_templates.create_template, marketer, **{**GOOD, "html_body": "<" * 199_000}
    )
    assert "Once cleaned" in errors["html_body"]
    assert time.perf_counter() - started < 3
    # Ordinary nesting is fine.
    email_templates.create_template(
        marketer, **{**GOOD, "html_body": "<div>" * 50 + "x" + "</div>" * 50}
    )


@pytest.mark.parametrize(
    "markup",
    [
        "<ul><li>x</li></ul>" * 10_000,
        '<a href="https://x.example">' * 20_000,
        "<" * 200_000,
        "<li " * 50_000,
        '<a href="https://x.example/">' + "y" * 190_000,
    ],
)
def test_deriving_text_from_hostile_html_is_quick(markup):
    started = time.perf_counter()
    email_html.html_to_text(markup)
    assert time.perf_counter() - started < 1


def test_preview_people_lists_readable_contacts_and_leads_matching_a_search():
    marketer = make_user(Role.MARKETING)
    contact = make_contact(marketer, first_name="Mei", last_name="Chen", email="mei@a.example")
    lead = make_lead(marketer, first_name="Tom", last_name="Lee", company="Meiko Ltd")
    make_lead(marketer, first_name="Other", last_name="Person")
    people = dict(email_templates.preview_people(marketer, "mei"))
    assert set(people) == {f"contact:{contact.id}", f"lead:{lead.id}"}
    assert people[f"contact:{contact.id}"] == "Contact: Mei Chen <mei@a.example>"
    assert email_templates.parse_person_key(f"lead:{lead.id}") == ("lead", lead.id)
    assert email_templates.parse_person_key("user:1") == (None, None)
    assert email_templates.preview_person(marketer, "lead", lead.id) == lead
    assert email_templates.preview_person(make_user(Role.SUPPORT), "lead", lead.id) is None
    assert email_templates.preview_person(marketer, "contact", "x") is None


def test_marketing_factories_build_valid_records():
    from app.models.marketing import (
        CampaignType,
        EmailPreference,
        SegmentKind,
        SegmentMember,
    )
    from tests.marketing_factories import make_preference, make_segment

    marketer = make_user(Role.MARKETING)
    contact = make_contact(marketer)
    segment = make_segment(marketer, kind="STATIC", members=[contact.id])
    assert segment.kind is SegmentKind.STATIC
    assert db.session.scalars(sa.select(SegmentMember.entity_id)).all() == [contact.id]
    assert make_segment(marketer).kind is SegmentKind.DYNAMIC
    campaign = make_campaign(marketer, segment=segment, template=make_template(marketer))
    assert (campaign.currency, campaign.type) == ("USD", CampaignType.EMAIL)
    assert campaign.segment_id == segment.id and campaign.template_id is not None
    preference = make_preference("Mei@Example.com", locale="zh_Hant")
    assert db.session.get(EmailPreference, "mei@example.com") is preference
    assert preference.consent and preference.consent_at is not None
    assert make_preference("mei@example.com", consent=False).consent is False
