"""The upload checks every kind of file shares: names without directories, allowlisted
kinds whose first bytes match, a size limit, no empty files, random stored names."""

import io
import os
import pathlib

import pytest

from app.services import uploads
from app.services.validation import RecordInvalid

TYPES = uploads.DOCUMENT_TYPES


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../x.html", "x.html"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ('bad"\x00name<>.txt', "badname.txt"),
        (None, ""),
    ],
)
def test_file_names_lose_directories_and_control_characters(raw, clean):
    assert uploads.clean_filename(raw) == clean


def test_a_checked_file_takes_its_content_type_from_the_extension():
    checked = uploads.check_upload("Offer.PDF", io.BytesIO(b"%PDF-1.7 ..."), TYPES, 100)
    assert (checked.filename, checked.extension, checked.content_type, checked.size) == (
        "Offer.PDF", "pdf", "application/pdf", 12,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ", "Upload one of these kinds of file"),
        ("noextension", b"%PDF-", "Upload one of these kinds of file"),
        ("page.png", b"<html><script>", "not really a .png"),
        ("binary.txt", b"abc\x00def", "not really a .txt"),
        ("empty.txt", b"", "empty"),
        ("big.txt", b"a" * 101, "at most"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(name, content, message):
    with pytest.raises(RecordInvalid) as refused:
        uploads.check_upload(name, io.BytesIO(content), TYPES, 100)
    assert message in refused.value.errors["file"]


def test_text_cut_inside_a_character_by_the_sniffing_window_still_passes():
    text = ("a" * (uploads.SNIFF_BYTES - 1) + "名").encode()
    assert uploads.looks_like(text[: uploads.SNIFF_BYTES], None)


def test_files_are_stored_under_random_names_in_an_instance_folder(app):
    first = uploads.store("test_uploads", b"one")
    second = uploads.store("test_uploads", b"two")
    assert first != second and len(first) == 64
    path = uploads.stored_path("test_uploads", first)
    assert path.startswith(app.instance_path) and pathlib.Path(path).read_bytes() == b"one"
    assert uploads.stored_path("test_uploads", "../../etc/passwd").startswith(app.instance_path)
    uploads.remove("test_uploads", first)
    uploads.remove("test_uploads", second)
    assert not os.path.exists(path)
