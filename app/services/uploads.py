"""Uploaded files, checked the same way wherever they land (deal documents, ticket
attachments): an allowlisted extension whose first bytes match it, not empty, within a size
limit, stored outside the web root (in an instance subfolder) under a random name. The
client's content type is never trusted: the stored one comes from the extension.
"""

from __future__ import annotations

import dataclasses
import os
import secrets

from flask import current_app
from flask_babel import gettext

from app.services.validation import RecordInvalid

# Extension -> (content type, the first bytes a real file of that kind starts with; None
# for plain text, which must decode as UTF-8 and hold no NUL byte).
FileTypes = dict[str, tuple[str, tuple[bytes, ...] | None]]

DOCUMENT_TYPES: FileTypes = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (b"PK\x03\x04",),
    ),
    "txt": ("text/plain; charset=utf-8", None),
    "csv": ("text/csv; charset=utf-8", None),
}
SNIFF_BYTES = 4096


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, not yet stored."""

    filename: str  # the client's name without any directory part, for display only
    extension: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def clean_filename(filename: str | None) -> str:
    """The client's file name without any directory part or control characters."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return name.strip()[:255]


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def looks_like(head: bytes, signatures) -> bool:
    """Whether a file's first bytes fit its kind (see DOCUMENT_TYPES)."""
    if signatures is not None:
        return any(head.startswith(signature) for signature in signatures)
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a character cut by the sniffing window
    return True


def check_upload(filename: str | None, stream, types: FileTypes, max_size: int) -> CheckedFile:
    """Read and check an upload; RecordInvalid({"file": ...}) says what is wrong with it."""
    name = clean_filename(filename)
    extension = extension_of(name)
    if extension not in types:
        allowed = ", ".join(sorted(types))
        raise RecordInvalid(
            {"file": gettext("Upload one of these kinds of file: %(kinds)s.", kinds=allowed)}
        )
    content = stream.read(max_size + 1)
    if len(content) > max_size:
        megabytes = max_size // (1024 * 1024)
        raise RecordInvalid(
            {"file": gettext("Upload a file of at most %(size)d MB.", size=megabytes)}
        )
    if not content:
        raise RecordInvalid({"file": gettext("The file is empty.")})
    content_type, signatures = types[extension]
    if not looks_like(content[:SNIFF_BYTES], signatures):
        raise RecordInvalid(
            {"file": gettext("This file is not really a .%(kind)s file.", kind=extension)}
        )
    return CheckedFile(name, extension, content_type, content)


def folder(name: str) -> str:
    """The instance subfolder `name` (created when missing): never served by the web server."""
    path = os.path.join(current_app.instance_path, name)
    os.makedirs(path, exist_ok=True)
    return path


def store(folder_name: str, content: bytes) -> str:
    """Write `content` under a new random name in the folder; returns that name."""
    stored_name = secrets.token_hex(32)
    with open(os.path.join(folder(folder_name), stored_name), "xb") as out:
        out.write(content)
    return stored_name


def stored_path(folder_name: str, stored_name: str) -> str:
    return os.path.join(folder(folder_name), os.path.basename(stored_name))


def remove(folder_name: str, stored_name: str) -> None:
    path = stored_path(folder_name, stored_name)
    if os.path.exists(path):
        os.remove(path)
