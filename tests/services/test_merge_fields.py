"""Merge fields: only allowlisted names with an optional literal default are accepted and
substituted; everything a template engine would run is refused on save and inert on send;
values go in literally (escaped in HTML) and are never expanded again; every input, even
a hostile 200k-character one, is handled in bounded time."""

import time

import pytest

from app.services import merge_fields

VALUES = merge_fields.person_values(
    first_name="Mei", last_name="Chen", full_name="Mei Chen", email="mei@example.com"
)


@pytest.mark.parametrize(
    "text",
    [
        "{{ config }}",
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ self.__init__.__globals__ }}",
        "{{ request.application }}",
        "{{ contact.first_name | upper }}",
        "{{ contact.first_name | default(config) }}",
        "{{ contact.first_name | default('a') | safe }}",
        "{{ contact.first_name ~ contact.email }}",
        "{{ contact.first_name() }}",
        "{{ contact }}",
        "{{ Contact.First_Name }}",
        "{{ lipsum.__globals__.os.popen('id').read() }}",
    ],
)
def test_anything_but_an_allowlisted_field_is_refused_and_left_inert(text):
    assert merge_fields.problems(text)
    # Never evaluated: the text stays as written (escaped in an HTML part).
    assert merge_fields.substitute(text, VALUES) == text
    html = merge_fields.substitute(text, VALUES, html_part=True)
    assert "<" not in html and "'" not in html
    assert "Mei" not in merge_fields.substitute(text, VALUES)


@pytest.mark.parametrize(
    "text",
    [
        "{% for x in range(10**9) %}x{% endfor %}",
        "{% include 'base.html' %}",
        "{# comment #}",
        "{%raw%}",
    ],
)
def test_template_tags_are_refused_and_never_run(text):
    assert any("{% … %}" in message for message in merge_fields.problems(text))
    assert merge_fields.substitute(text, VALUES) == text


def test_messages_name_the_bad_field_and_the_allowed_ones():
    (unknown,) = merge_fields.problems("Hi {{ config }}")
    assert "config" in unknown and "contact.first_name" in unknown
    (bad,) = merge_fields.problems("Hi {{ contact.first_name | upper }}")
    assert "{{ contact.first_name | upper }}" in bad


@pytest.mark.parametrize(
    "text",
    ["Hi {{ contact.first_name", "Hi contact.first_name }}", "{{ {{ contact.email }} }}"],
)
def test_unclosed_and_nested_braces_are_refused(text):
    assert merge_fields.problems(text)


def test_nested_braces_never_expand_twice():
    text = "{{ {{ contact.email }} }}"
    # Only the inner well-formed field is replaced; the outer braces stay literal text.
    assert merge_fields.substitute(text, VALUES) == "{{ mei@example.com }}"


def test_allowed_fields_with_and_without_defaults_are_substituted():
    text = (
        '{{ contact.first_name }} {{contact.last_name}} {{ contact.title | default("friend") }}'
        " {{ company.name | default('your team') }} {{ unsubscribe_url }}"
    )
    assert merge_fields.problems(text) == []
    values = {**VALUES, "unsubscribe_url": "https://crm.example/u/abc"}
    assert (
        merge_fields.substitute(text, values)
        == "Mei Chen friend your team https://crm.example/u/abc"
    )


def test_default_is_used_only_when_the_value_is_empty_or_missing():
    text = 'Hi {{ contact.first_name | default("there") }}'
    assert merge_fields.substitute(text, {"contact.first_name": ""}) == "Hi there"
    assert merge_fields.substitute(text, {}) == "Hi there"
    assert merge_fields.substitute(text, {"contact.first_name": None}) == "Hi there"
    assert merge_fields.substitute(text, VALUES) == "Hi Mei"
    assert merge_fields.substitute("Hi {{ contact.first_name }}!", {}) == "Hi !"


@pytest.mark.parametrize(
    "value",
    ["{{ contact.email }}", "{{ config }}", "{% for x in y %}", "<script>alert(1)</script>"],
)
def test_values_are_inserted_literally_and_never_expanded(value):
    values = {**VALUES, "contact.first_name": value}
    text = "Hi {{ contact.first_name }}, {{ contact.email }}"
    assert merge_fields.substitute(text, values) == f"Hi {value}, mei@example.com"
    html = merge_fields.substitute(text, values, html_part=True)
    assert "<script>" not in html
    assert html.startswith("Hi " + value.replace("<", "&lt;").replace(">", "&gt;")[:3])
    assert html.count("mei@example.com") == 1


def test_html_values_are_escaped_for_text_and_attributes():
    values = {**VALUES, "contact.first_name": '"><img src=x onerror=alert(1)>&'}
    html = merge_fields.substitute(
        '<a title="{{ contact.first_name }}">{{ contact.first_name }}</a>', values, html_part=True
    )
    assert html == (
        '<a title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;">'
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;</a>"
    )


def test_an_html_default_is_read_as_html_and_cannot_add_markup():
    text = "{{ contact.first_name | default('Tom &amp; <b>Jerry</b>') }}"
    assert merge_fields.problems(text) == []
    assert merge_fields.substitute(text, {}, html_part=True) == "Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;"
    assert merge_fields.substitute(text, {}) == "Tom &amp; <b>Jerry</b>"


def test_defaults_are_literal_text_only():
    assert merge_fields.problems('{{ contact.first_name | default("a" ~ "b") }}')
    assert merge_fields.problems("{{ contact.first_name | default(there) }}")
    long_default = "x" * (merge_fields.MAX_DEFAULT_CHARS + 1)
    assert merge_fields.problems('{{ contact.first_name | default("' + long_default + '") }}')


def test_parse_reads_one_whole_placeholder():
    assert merge_fields.parse('{{ contact.email | default("x") }}') == ("contact.email", "x")
    assert merge_fields.parse("{{unsubscribe_url}}") == ("unsubscribe_url", None)
    assert merge_fields.parse("{{ config }}") is None
    assert merge_fields.parse("x {{ contact.email }}") is None


def test_a_text_over_the_limit_is_refused():
    text = "a" * (merge_fields.MAX_TEMPLATE_CHARS + 1)
    (message,) = merge_fields.problems(text)
    assert "200000" in message


@pytest.mark.parametrize(
    "text",
    [
        "{{" * 100_000,
        "{{ " + "a" * 299 + " " * (200_000 - 302),
        ("{{ " + "a" * 290) * 680,
        "{{ contact.first_name }}" * 8_000,
        ("{{ config }}" * 16_000)[:200_000],
        "{" * 200_000,
        "}}{{" * 50_000,
    ],
)
def test_hostile_200k_inputs_are_handled_quickly(text):
    assert len(text) <= merge_fields.MAX_TEMPLATE_CHARS
    started = time.perf_counter()
    found = merge_fields.problems(text)
    merge_fields.substitute(text, VALUES)
    merge_fields.substitute(text, VALUES, html_part=True)
    assert time.perf_counter() - started < 1.0
    # Template tags, at most MAX_PROBLEMS bad fields, an unclosed brace.
    assert len(found) <= merge_fields.MAX_PROBLEMS + 2


def test_substitute_reads_at_most_the_limit():
    text = "{{ contact.first_name }}" + "x" * merge_fields.MAX_TEMPLATE_CHARS
    assert len(merge_fields.substitute(text, VALUES)) == merge_fields.MAX_TEMPLATE_CHARS - 24 + 3


def test_person_values_fills_every_person_field():
    values = merge_fields.person_values(first_name="陳", company="Acme")
    assert set(values) == {
        "contact.first_name",
        "contact.last_name",
        "contact.full_name",
        "contact.email",
        "contact.title",
        "company.name",
    }
    assert set(values) <= set(merge_fields.FIELDS)
    assert values["company.name"] == "Acme"
