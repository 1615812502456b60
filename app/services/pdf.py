"""What every PDF Rapport renders with WeasyPrint shares: the folder of its stylesheets and
fonts (static/pdf), the company logo, and a deny-by-default URL fetcher. The fetcher serves
the logo and the files under static/pdf and refuses every other URL (network, data:, any
other file), whatever text a document carries, so a quote or a report cannot make the
server read its own files or call other hosts."""

from __future__ import annotations

import mimetypes
import os
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

STATIC_FOLDER = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "pdf")


class ResourceRefused(ValueError):
    """The renderer asked for a URL outside the allowed files."""


class PdfFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, deny by default: only `file:` URLs whose real path is the
    configured logo or lies under static/pdf are read; everything else raises (WeasyPrint
    then leaves the image or stylesheet out). `refused` lists what was turned down."""

    def __init__(self, logo_path: str | None = None):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.folder = os.path.realpath(STATIC_FOLDER)
        self.logo = os.path.realpath(logo_path) if logo_path else None
        self.refused: list[str] = []
        self.served: list[str] = []

    def allowed_path(self, url: str) -> str | None:
        """The real path `url` names when it is an allowed file, else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = os.path.realpath(url2pathname(parts.path))
        if path == self.logo or os.path.commonpath([path, self.folder]) == self.folder:
            return path if os.path.isfile(path) else None
        return None

    def fetch(self, url, headers=None):
        path = self.allowed_path(url)
        if path is None:
            self.refused.append(url)
            raise ResourceRefused(f"refused to load {url[:200]!r} while rendering a PDF")
        self.served.append(path)
        with open(path, "rb") as fh:
            body = fh.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(path2url(path), body, {"Content-Type": content_type})

    def open(self, url, data=None, timeout=None):
        # The urllib opener this class inherits must never be reached.
        return self.fetch(getattr(url, "full_url", url))


def logo_path() -> str | None:
    path = current_app.config.get("RAPPORT_COMPANY_LOGO")
    return path if path and os.path.isfile(path) else None


def base_url() -> str:
    """Where relative URLs in a PDF's HTML resolve: static/pdf."""
    return path2url(os.path.realpath(STATIC_FOLDER) + os.sep)
