"""The pages `make bench` measures; each module adds its own."""

from typing import NamedTuple


class Page(NamedTuple):
    name: str
    path: str
    login: bool = True


PAGES = [
    Page("login", "/login", login=False),
    Page("home", "/"),
    Page("admin users list", "/admin/users"),
    Page("admin audit log", "/admin/audit"),
]
