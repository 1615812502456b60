"""The OpenAPI document is generated from the code, valid, complete, and shown by a
vendored ReDoc; an endpoint added without documentation fails here."""

import re

import pytest
from openapi_spec_validator import validate

from tests.api.conftest import api_operations


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_api_route_is_documented_and_nothing_else(app, document):
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert api_operations(app)  # the comparison below is not vacuous
    assert documented == api_operations(app)


def test_every_operation_needs_a_bearer_token_and_has_a_tag_and_summary(document):
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"bearerAuth": []}]
    tags = {tag["name"] for tag in document["tags"]}
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), operation
            assert set(operation["tags"]) <= tags


def test_errors_are_documented_in_the_api_error_shape(document):
    error = document["components"]["schemas"]["Error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert error["required"] == ["error"]
    assert set(detail["properties"]) == {"code", "message", "fields"}


def test_every_documented_route_refuses_callers_without_a_token(client, app):
    for path, method in api_operations(app):
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.open(url, method=method.upper(), json={})
        assert response.status_code == 401, (method, path)


def test_the_docs_page_renders_the_document_with_the_vendored_redoc(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'spec-url="/api/v1/openapi.json"' in html
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/vendor/redoc-") for src in scripts)
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html))  # no CDN
    for src in scripts:
        script = client.get(src)
        assert script.status_code == 200 and b"Redoc" in script.data[:2000]
        script.close()


def test_the_tokens_page_links_to_the_docs(client, login):
    from tests.factories import make_user

    login(make_user())
    assert 'href="/api/v1/docs"' in client.get("/profile/tokens").get_data(as_text=True)
