"""Tags: one shared vocabulary, attached to any record, filtered on, audited, and tidied
by administrators. Users stand in for the business records that ship later."""

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from app.models.identity import Role, User
from app.models.records import AuditEntry, Tag, Tagging
from app.permissions import PermissionDenied
from app.services import tags
from app.services.tags import TagError
from tests.factories import make_user


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, name="Ada Admin")


def names(tag_list):
    return [tag.name for tag in tag_list]


def tag_names_of(user):
    return names(tags.tags_for("users", [user.id])[user.id])


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  big   customer ", "big customer"),
        ("ＶＩＰ", "VIP"),  # full-width letters typed with a Chinese input method
        ("大客戶\u3000北區", "大客戶 北區"),
        ("x" * 60, "x" * 60),
    ],
)
def test_names_are_normalised(raw, stored):
    assert tags.normalise(raw) == stored


@pytest.mark.parametrize("raw", ["", "   ", "x" * 61])
def test_empty_and_long_names_are_refused(raw):
    with pytest.raises(TagError):
        tags.normalise(raw)


def test_split_names_accepts_both_kinds_of_comma():
    assert tags.split_names("vip, 大客戶，north ,, ") == ["vip", " 大客戶", "north "]


def test_names_are_case_insensitive_and_reused(admin):
    tags.add_tags(admin, "users", admin.id, ["VIP", "大客戶"])
    other = make_user(Role.SALES)
    added = tags.add_tags(admin, "users", other.id, ["vip", "  大客戶 "])
    assert names(added) == ["VIP", "大客戶"]
    assert db.session.scalar(sa.select(sa.func.count(Tag.id))) == 2


def test_adding_a_tag_twice_changes_nothing(admin):
    tags.add_tags(admin, "users", admin.id, ["north", "North"])
    assert tags.add_tags(admin, "users", admin.id, ["NORTH"]) == []
    assert tag_names_of(admin) == ["north"]


def test_remove_takes_a_tag_off_one_record_only(admin):
    other = make_user(Role.SALES)
    (north,) = tags.add_tags(admin, "users", admin.id, ["north"])
    tags.add_tags(admin, "users", other.id, ["north"])
    assert tags.remove_tag(admin, "users", admin.id, north.id) is True
    assert tags.remove_tag(admin, "users", admin.id, north.id) is False
    assert tag_names_of(admin) == [] and tag_names_of(other) == ["north"]


def test_sales_may_tag_their_own_record_but_not_another_users():
    rep, colleague = make_user(Role.SALES), make_user(Role.SALES)
    tags.add_tags(rep, "users", rep.id, ["new tag"])
    with pytest.raises(PermissionDenied):
        tags.add_tags(rep, "users", colleague.id, ["new tag"])
    with pytest.raises(PermissionDenied):
        tags.remove_tag(rep, "users", colleague.id, 1)


def test_unknown_record_types_and_records_are_refused(admin):
    with pytest.raises(LookupError):
        tags.add_tags(admin, "planets", 1, ["x"])
    with pytest.raises(LookupError):
        tags.add_tags(admin, "users", 999_999, ["x"])


def test_a_refused_new_tag_changes_nothing(admin):
    from app import permissions
    from app.permissions import Scope

    permissions.set_grant(Role.SALES, "tag", "create", Scope.NONE)
    rep = make_user(Role.SALES)
    tags.add_tags(admin, "users", admin.id, ["existing"])
    tags.add_tags(rep, "users", rep.id, ["Existing"])  # using a tag is still allowed
    with pytest.raises(PermissionDenied):
        tags.add_tags(rep, "users", rep.id, ["existing", "brand new"])
    assert db.session.scalar(sa.select(sa.func.count(Tag.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Tagging.id))) == 2


def test_tags_for_a_page_of_records_takes_one_query(admin):
    users = [make_user(Role.SALES) for _ in range(5)]
    for n, user in enumerate(users):
        tags.add_tags(admin, "users", user.id, ["zeta", "Alpha"][: n % 3])
    ids = [user.id for user in users]
    db.session.commit()

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = tags.tags_for("users", ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert [names(page[user_id]) for user_id in ids] == [
        [],
        ["zeta"],
        ["Alpha", "zeta"],
        [],
        ["zeta"],
    ]


def test_filter_any_or_all_of_the_tags(admin):
    north_vip, north, vip, plain = (make_user(Role.SALES) for _ in range(4))
    tags.add_tags(admin, "users", north_vip.id, ["north", "vip"])
    tags.add_tags(admin, "users", north.id, ["north"])
    tags.add_tags(admin, "users", vip.id, ["VIP"])

    def users_tagged(tag_names, match):
        clause = tags.filter_clause("users", User.id, tag_names, match)
        return set(db.session.scalars(sa.select(User.id).where(clause)))

    assert users_tagged(["North", "vip"], "any") == {north_vip.id, north.id, vip.id}
    assert users_tagged(["north", "vip"], "all") == {north_vip.id}
    assert users_tagged(["north", "nowhere"], "all") == set()
    assert users_tagged(["nowhere"], "any") == set()
    assert plain.id in users_tagged([], "any")


def test_tag_changes_appear_in_the_records_history(admin):
    rep = make_user(Role.SALES)
    (vip,) = tags.add_tags(admin, "users", rep.id, ["VIP"])
    tags.remove_tag(admin, "users", rep.id, vip.id)
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "users", AuditEntry.entity_id == str(rep.id))
        .where(AuditEntry.changes.isnot(None))
        .order_by(AuditEntry.id)
    ).all()
    changes = [entry.changes for entry in history if "tags" in entry.changes]
    assert changes == [{"tags": [None, "VIP"]}, {"tags": ["VIP", None]}]


def test_suggest_completes_a_prefix_in_any_case(admin):
    tags.add_tags(admin, "users", admin.id, ["North", "northwest", "south", "100%_sure", "1000"])
    assert names(tags.suggest("nor")) == ["North", "northwest"]
    assert names(tags.suggest("NORTHW")) == ["northwest"]
    assert names(tags.suggest("100%")) == ["100%_sure"]  # % and _ are literal
    assert len(tags.suggest("", limit=2)) == 2


def test_rename_refuses_a_name_in_use_but_allows_a_case_change(admin):
    vip, gold = tags.add_tags(admin, "users", admin.id, ["vip", "gold"])
    with pytest.raises(TagError, match="merge"):
        tags.update_tag(admin, gold, "VIP")
    tags.update_tag(admin, vip, "VIP", color="#16A34A")
    assert (vip.name, vip.color) == ("VIP", "#16a34a")
    with pytest.raises(TagError):
        tags.update_tag(admin, vip, "VIP", color="red; background: url(x)")


def test_merge_moves_records_without_duplicates_and_deletes_the_source(admin):
    both, only_source = make_user(Role.SALES), make_user(Role.SALES)
    source, target = tags.add_tags(admin, "users", both.id, ["v.i.p", "VIP"])
    tags.add_tags(admin, "users", only_source.id, ["v.i.p"])
    tags.merge_tags(admin, source, target)
    assert tag_names_of(both) == ["VIP"] and tag_names_of(only_source) == ["VIP"]
    assert db.session.get(Tag, source.id) is None
    history = db.session.scalars(
        sa.select(AuditEntry.changes).where(AuditEntry.entity_id == str(only_source.id))
    ).all()
    assert {"tags": ["v.i.p", None]} in history and {"tags": [None, "VIP"]} in history


def test_delete_takes_the_tag_off_every_record(admin):
    rep = make_user(Role.SALES)
    (old,) = tags.add_tags(admin, "users", rep.id, ["old"])
    tags.delete_tag(admin, old)
    assert tag_names_of(rep) == []
    assert db.session.scalar(sa.select(sa.func.count(Tagging.id))) == 0


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SALES, Role.MARKETING, Role.SUPPORT])
def test_only_administrators_tidy_the_vocabulary(admin, role):
    user = make_user(role)
    first, second = tags.add_tags(admin, "users", admin.id, ["a", "b"])
    with pytest.raises(PermissionDenied):
        tags.update_tag(user, first, "c")
    with pytest.raises(PermissionDenied):
        tags.merge_tags(user, first, second)
    with pytest.raises(PermissionDenied):
        tags.delete_tag(user, first)
