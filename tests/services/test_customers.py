"""Customers as the services see them: validation, owners, addresses, custom fields,
credit rating history, and the permission-filtered, searchable, keyset-paged list."""

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models.customers import (
    Contact,
    CreditRatingChange,
    Customer,
    CustomerStatus,
    Rating,
)
from app.models.identity import Role
from app.permissions import PermissionDenied
from app.services import custom_fields, customers, tags
from app.services.customers import CustomerFilters
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_team, make_user


def _names(rows):
    return [c.name for c in rows]


def test_a_rep_creates_a_customer_they_own_and_can_find():
    rep = make_user(Role.SALES)
    customer = customers.create_customer(
        rep,
        name="  台灣積體電路  ",
        company="TSMC",
        email="ir@tsmc.example",
        website="www.tsmc.com",
        status="customer",
        rating="HOT",
        addresses=[
            {"kind": "BILLING", "line1": "No. 8, Li-Hsin Rd.", "city": "Hsinchu", "country": "tw"},
            {"kind": "SHIPPING", "line1": "", "city": ""},
        ],
    )
    assert customer.owner_id == rep.id and customer.created_by_id == rep.id
    assert customer.name == "台灣積體電路"
    assert customer.status is CustomerStatus.CUSTOMER and customer.rating is Rating.HOT
    assert customer.website == "https://www.tsmc.com"
    assert [(a.kind.value, a.country) for a in customer.addresses] == [("BILLING", "TW")]
    assert customer.search_text == "台灣積體電路 tsmc ir@tsmc.example"


def test_bad_input_is_refused_with_every_message_at_once():
    rep = make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        customers.create_customer(
            rep, name=" ", email="not-an-email", website="javascript:alert(1)", size="HUGE"
        )
    assert set(refused.value.errors) == {"name", "email", "website", "size"}
    assert "http" in refused.value.errors["website"]
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0


@pytest.mark.parametrize("url", ["data:text/html,<b>x</b>", "JaVaScRiPt:alert(1)", "ftp://x.org"])
def test_only_http_web_addresses_are_accepted(url):
    rep = make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        customers.create_customer(rep, name="Acme", website=url)
    assert "website" in refused.value.errors


def test_a_rep_cannot_give_a_customer_to_someone_else_but_a_manager_can_within_the_team():
    team = make_team()
    rep, colleague = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    manager, outsider = make_user(Role.MANAGER, team=team), make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        customers.create_customer(rep, name="Acme", owner_id=colleague.id)
    assert "owner_id" in refused.value.errors

    customer = customers.create_customer(manager, name="Acme", owner_id=colleague.id)
    assert customer.owner_id == colleague.id
    with pytest.raises(RecordInvalid):
        customers.update_customer(customer, manager, owner_id=outsider.id)
    inactive = make_user(Role.SALES, team=team, is_active=False)
    with pytest.raises(RecordInvalid):
        customers.update_customer(customer, manager, owner_id=inactive.id)


def test_a_rep_may_not_edit_or_delete_someone_elses_customer():
    owner, rep = make_user(Role.SALES), make_user(Role.SALES)
    customer = make_customer(owner, name="Acme")
    with pytest.raises(PermissionDenied):
        customers.update_customer(customer, rep, name="Mine now")
    with pytest.raises(PermissionDenied):
        customers.delete_customer(customer, rep)


def test_support_cannot_delete_customers():
    support = make_user(Role.SUPPORT)
    customer = make_customer(support, name="Acme")
    with pytest.raises(PermissionDenied):
        customers.delete_customer(customer, support)


def test_update_changes_only_the_given_fields_and_keeps_search_in_step():
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme", phone="02-1234", addresses=[{"city": "Taipei"}])
    customers.update_customer(customer, rep, name="Acme Ltd", email="hi@acme.example")
    assert customer.phone == "02-1234" and customer.addresses[0].city == "Taipei"
    assert customer.search_text == "acme ltd hi@acme.example 02-1234"
    customers.update_customer(customer, rep, addresses=[{"kind": "OTHER", "city": "Tainan"}])
    db.session.commit()
    assert [a.city for a in customer.addresses] == ["Tainan"]


def test_custom_fields_are_validated_and_stored():
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "customer", "Employees", "number")
    rep = make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        customers.create_customer(rep, name="Acme", custom={"employees": "many"})
    assert list(refused.value.errors) == ["custom.employees"]
    customer = customers.create_customer(rep, name="Acme", custom={"employees": "120"})
    assert customer.custom == {"employees": "120"}


def test_deleting_a_customer_keeps_its_contacts_unlinked():
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    contact = make_contact(rep, customer, is_primary=True)
    tags.add_tags(rep, "customers", customer.id, ["vip"])
    customers.delete_customer(customer, rep)
    db.session.commit()
    contact = db.session.get(Contact, contact.id)
    assert contact.customer_id is None and contact.is_primary is False
    assert tags.tags_for("customers", [customer.id])[customer.id] == []


def test_credit_rating_changes_are_kept_in_history():
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    customers.set_credit_rating(customer, rep, "aa", "Audited accounts")
    customers.set_credit_rating(customer, rep, "B", "Late payments")
    db.session.commit()
    assert customer.credit_rating == "B"
    history = customers.credit_history(customer)
    assert [(h.previous, h.rating, h.note) for h in history] == [
        ("AA", "B", "Late payments"),
        (None, "AA", "Audited accounts"),
    ]
    assert db.session.scalar(sa.select(sa.func.count(CreditRatingChange.id))) == 2


def test_reps_see_their_own_customers_and_managers_their_teams():
    team = make_team()
    rep, colleague = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    manager, stranger = make_user(Role.MANAGER, team=team), make_user(Role.SALES)
    for owner, name in ((rep, "Mine"), (colleague, "Colleague's"), (stranger, "Stranger's")):
        make_customer(owner, name=name)

    def visible(user):
        return _names(db.session.scalars(customers.customers_query(user, CustomerFilters())))

    assert visible(rep) == ["Mine"]
    assert visible(manager) == ["Colleague's", "Mine"]


def test_search_finds_a_chinese_name_by_any_part_of_it():
    rep = make_user(Role.SALES)
    for name in ("台灣積體電路", "鴻海精密工業", "Café Olé"):
        make_customer(rep, name=name)

    def found(q):
        return _names(customers.customer_page(rep, CustomerFilters(q=q))[0])

    assert found("積體") == ["台灣積體電路"]
    assert found("積體電路") == ["台灣積體電路"]
    assert found("cafe OLE") == ["Café Olé"]


def test_filters_and_sort_read_from_the_query_string_ignore_what_is_not_allowed():
    rep = make_user(Role.SALES)
    make_customer(rep, name="Beta", status="CUSTOMER", rating="COLD", industry="Retail")
    make_customer(rep, name="Alpha", status="CUSTOMER", rating="HOT", industry="retail")
    make_customer(rep, name="Gamma", status="LEAD")
    filters = CustomerFilters.from_args(
        MultiDict({"status": "CUSTOMER", "sort": "password_hash; drop table", "size": "HUGE"})
    )
    assert filters.sort == "name" and filters.size is None
    assert _names(customers.customer_page(rep, filters)[0]) == ["Alpha", "Beta"]
    by_rating = CustomerFilters.from_args(MultiDict({"sort": "rating", "direction": "desc"}))
    assert _names(customers.customer_page(rep, by_rating)[0]) == ["Gamma", "Beta", "Alpha"]
    retail = CustomerFilters.from_args(MultiDict({"industry": "RETAIL"}))
    assert _names(customers.customer_page(rep, retail)[0]) == ["Alpha", "Beta"]


def test_tag_and_custom_field_filters():
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "customer", "Region", "choice", choices=["North", "South"])
    rep = make_user(Role.SALES)
    north = make_customer(rep, name="North Co", custom={"region": "North"})
    make_customer(rep, name="South Co", custom={"region": "South"})
    tags.add_tags(rep, "customers", north.id, ["vip"])
    db.session.commit()
    by_tag = CustomerFilters.from_args(MultiDict({"tag": "VIP"}))
    assert _names(customers.customer_page(rep, by_tag)[0]) == ["North Co"]
    by_region = CustomerFilters.from_args(MultiDict({"cf_region": "South"}))
    assert _names(customers.customer_page(rep, by_region)[0]) == ["South Co"]
    unknown = CustomerFilters.from_args(MultiDict({"cf_password_hash": "x"}))
    assert len(customers.customer_page(rep, unknown)[0]) == 2


@pytest.mark.parametrize(
    ("sort", "direction"),
    [("industry", "asc"), ("industry", "desc"), ("status", "asc"), ("rating", "desc"),
     ("created_at", "desc"), ("name", "asc")],
)  # fmt: skip
def test_keyset_pages_walk_every_row_exactly_once(sort, direction):
    rep = make_user(Role.SALES)
    industries = ["Retail", "Banking", "", "Retail"]
    ratings = ["HOT", None, "COLD"]
    for n in range(23):
        make_customer(
            rep,
            name=f"Customer {n % 5}",
            industry=industries[n % 4],
            rating=ratings[n % 3],
            status=["LEAD", "CUSTOMER"][n % 2],
        )
    filters = CustomerFilters(sort=sort, direction=direction)
    seen, cursor = [], None
    for _ in range(10):
        rows, cursor = customers.customer_page(rep, filters, cursor, limit=4)
        seen.extend(row.id for row in rows)
        if cursor is None:
            break
    expected = list(db.session.scalars(customers.customers_query(rep, filters)))
    assert seen == [c.id for c in expected]
    assert len(set(seen)) == 23


def test_a_cursor_that_is_not_ours_starts_from_the_top():
    rep = make_user(Role.SALES)
    make_customer(rep, name="Only")
    rows, _ = customers.customer_page(rep, CustomerFilters(), cursor="not base64 !!")
    assert _names(rows) == ["Only"]


def test_the_search_box_also_finds_customers_by_tag():
    rep = make_user(Role.SALES)
    tagged = make_customer(rep, name="Acme")
    make_customer(rep, name="Globex")
    make_customer(rep, name="Big Spender")
    tags.add_tags(rep, "customers", tagged.id, ["Big Spender"])
    db.session.commit()
    found = customers.customer_page(rep, CustomerFilters(q="big spender"))[0]
    assert _names(found) == ["Acme", "Big Spender"]


# (role, whose record, may read, may edit, may delete) with the shipped defaults.
MATRIX = [
    (Role.SALES, "own", True, True, True),
    (Role.SALES, "team", False, False, False),
    (Role.MANAGER, "team", True, True, True),
    (Role.MANAGER, "foreign", False, False, False),
    (Role.SUPPORT, "own", True, True, False),
    (Role.SUPPORT, "team", True, False, False),
    (Role.MARKETING, "team", True, False, False),
    (Role.ADMIN, "foreign", True, True, True),
]


@pytest.mark.parametrize(("role", "whose", "read", "edit", "delete"), MATRIX)
def test_who_may_read_edit_and_delete_a_customer(role, whose, read, edit, delete):
    team = make_team()
    user = make_user(role, team=team)
    owner = {
        "own": user,
        "team": make_user(Role.SALES, team=team),
        "foreign": make_user(Role.SALES, team=make_team()),
    }[whose]
    customer = make_customer(owner, name="Acme")
    listed = db.session.scalars(customers.customers_query(user, CustomerFilters())).all()
    assert (customer in listed) is read
    if edit:
        customers.update_customer(customer, user, phone="02-5555")
    else:
        with pytest.raises(PermissionDenied):
            customers.update_customer(customer, user, phone="02-5555")
    if delete:
        customers.delete_customer(customer, user)
    else:
        with pytest.raises(PermissionDenied):
            customers.delete_customer(customer, user)


def test_saving_the_same_addresses_again_changes_nothing_in_the_history():
    rep = make_user(Role.SALES)
    address = {"kind": "BILLING", "line1": "1 Main St", "city": "Taipei"}
    customer = make_customer(rep, name="Acme", addresses=[address])
    first_id = customer.addresses[0].id
    customers.update_customer(customer, rep, addresses=[address, {"city": "Tainan"}])
    db.session.commit()
    assert [a.id == first_id for a in customer.addresses] == [True, False]
    customers.update_customer(customer, rep, addresses=[{"kind": "SHIPPING", "city": "Keelung"}])
    db.session.commit()
    assert [(a.id, a.kind.value, a.city) for a in customer.addresses] == [
        (first_id, "SHIPPING", "Keelung")
    ]
