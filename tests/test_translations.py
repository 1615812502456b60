"""Every UI string is translated to Traditional Chinese, and the shipped catalogue is current."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "app/translations/zh_Hant/LC_MESSAGES"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "-o",
            str(pot),
            "app",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def zh_po():
    with open(CATALOG / "messages.po", "rb") as fh:
        return read_po(fh)


def _ids(catalog):
    return {message.id for message in catalog if message.id}


def _is_translated(message) -> bool:
    if message is None or message.fuzzy or not message.string:
        return False
    return all(message.string) if isinstance(message.string, tuple) else True


def test_every_string_in_the_code_has_a_chinese_translation(extracted, zh_po):
    missing = [m.id for m in extracted if m.id and not _is_translated(zh_po.get(m.id, m.context))]
    assert not missing, f"{len(missing)} untranslated, run `make translations`: {missing[:10]}"


def test_placeholders_survive_translation(zh_po):
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in zh_po:
        if message.id and isinstance(message.id, str) and message.string:
            assert sorted(placeholder.findall(message.id)) == sorted(
                placeholder.findall(message.string)
            ), message.id


def test_compiled_catalogue_matches_the_po_file(zh_po):
    with open(CATALOG / "messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    assert {(m.id if isinstance(m.id, str) else m.id[0]) for m in compiled if m.id} >= {
        (m.id if isinstance(m.id, str) else m.id[0]) for m in zh_po if m.id and m.string
    }, "run `make translations` to recompile messages.mo"
    for message in zh_po:
        if message.id and message.string:
            # read_mo gives plural forms as a list where read_po gives a tuple.
            shipped = compiled.get(message.id, message.context).string
            shipped = tuple(shipped) if isinstance(shipped, list) else shipped
            assert shipped == message.string, message.id
