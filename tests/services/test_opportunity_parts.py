"""What hangs off a deal: its team, its product lines (whose total may become its amount)
and its documents (allowlisted kinds, checked by their first bytes, at most 10 MB)."""

import io
from decimal import Decimal

import pytest

from app.models.identity import Role
from app.permissions import PermissionDenied
from app.services import opportunity_parts as parts
from app.services.validation import RecordInvalid, StaleRecord
from tests.factories import make_opportunity, make_product, make_user


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita")


def test_members_are_added_once_and_removed(rep):
    deal = make_opportunity(rep)
    engineer = make_user(Role.SUPPORT, name="Sam")
    parts.add_member(deal, rep, engineer.id, "Pre-sales")
    member = parts.add_member(deal, rep, engineer.id, "Architect")
    assert [(m.role, name) for m, name in parts.members_of(deal)] == [("Architect", "Sam")]
    parts.remove_member(deal, rep, member.id)
    assert parts.members_of(deal) == []
    with pytest.raises(RecordInvalid):
        parts.add_member(deal, rep, 999_999)
    with pytest.raises(PermissionDenied):
        parts.add_member(deal, engineer, engineer.id)


def test_product_lines_total_becomes_the_amount_when_asked(rep):
    deal = make_opportunity(rep, amount="5")
    product = make_product(list_price="100.00")
    parts.add_product(deal, rep, product.id, "2")
    parts.add_product(deal, rep, product.id, "1.5", "80.10")
    lines = parts.product_lines(deal)
    assert [line.unit_price for line in lines] == [Decimal("100.00"), Decimal("80.10")]
    assert parts.lines_total(lines) == Decimal("320.15") and deal.amount == Decimal("5.00")
    with pytest.raises(StaleRecord):
        parts.amount_from_lines(deal, rep, deal.version - 1)
    parts.amount_from_lines(deal, rep, deal.version)
    assert deal.amount == Decimal("320.15")
    with pytest.raises(RecordInvalid) as refused:
        parts.add_product(deal, rep, product.id, "0", "-1")
    assert set(refused.value.errors) == {"quantity", "unit_price"}
    parts.remove_product(deal, rep, lines[0].id)
    assert len(parts.product_lines(deal)) == 1


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("offer.pdf", b"%PDF-1.4 ...", True),
        ("photo.PNG", b"\x89PNG\r\n\x1a\n....", True),
        ("photo.jpg", b"\xff\xd8\xff\xe0....", True),
        ("plan.docx", b"PK\x03\x04....", True),
        ("notes.csv", "名稱,金額\n".encode(), True),
        ("virus.pdf", b"MZ\x90\x00", False),
        ("page.png", b"<html>", False),
        ("binary.txt", b"abc\x00def", False),
        ("run.exe", b"MZ", False),
        ("noextension", b"%PDF-", False),
    ],
)
def test_documents_are_checked_by_extension_and_first_bytes(rep, app, name, content, accepted):
    deal = make_opportunity(rep)
    if accepted:
        document = parts.save_document(deal, rep, name, io.BytesIO(content))
        with open(parts.document_path(document), "rb") as stored:
            assert stored.read() == content
        assert len(document.stored_name) == 64 and name not in document.stored_name
    else:
        with pytest.raises(RecordInvalid):
            parts.save_document(deal, rep, name, io.BytesIO(content))


def test_a_document_over_10_mb_is_refused(rep):
    deal = make_opportunity(rep)
    with pytest.raises(RecordInvalid) as refused:
        parts.save_document(deal, rep, "big.pdf", io.BytesIO(b"%PDF-" + b"0" * (10 * 2**20)))
    assert "10 MB" in refused.value.errors["file"]
