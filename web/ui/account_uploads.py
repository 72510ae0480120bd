"""Uploaded pictures: checked to really be images, re-encoded, served at /uploads/….

A file is accepted only if Pillow can decode it as JPEG, PNG, GIF or WebP (a script
renamed .jpg is refused whatever its name or declared type), within MAX_BYTES and
MAX_PIXELS (decompression bombs). It is then re-encoded — which also drops its metadata,
such as the GPS position a phone writes into photos — and shrunk to fit MAX_SIDE. Files are
named by a random token under {data_dir}/uploads; the private store records their owner
and audience: a members-only picture is served to logged-in members only, a private one to
its owner only.
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from web.platform import platform
from web.ui.session import accounts, current_account

bp = Blueprint("uploads", __name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 512
FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(?:jpg|png)$")


class BadImage(ValueError):
    """`kind` is "too_big" or "not_image"."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def uploads_dir() -> Path:
    return platform().settings.data_dir / "uploads"


def upload_url(name: str) -> str:
    return f"{platform().base_url}/uploads/{name}"


def name_from_url(url: str) -> str | None:
    prefix = f"{platform().base_url}/uploads/"
    if url.startswith(prefix) and NAME.match(url[len(prefix):]):
        return url[len(prefix):]
    return None


def checked_image(upload: FileStorage, max_side: int = MAX_SIDE) -> tuple[bytes, str]:
    """The re-encoded picture and its extension; raises BadImage."""
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise BadImage("too_big")
    if not data:
        raise BadImage("not_image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise BadImage("not_image")
            if probe.width * probe.height > MAX_PIXELS:
                raise BadImage("too_big")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((max_side, max_side))
            has_alpha = picture.mode in ("RGBA", "LA") or (
                picture.mode == "P" and "transparency" in picture.info)
            out = io.BytesIO()
            if has_alpha:
                picture.convert("RGBA").save(out, "PNG", optimize=True)
                return out.getvalue(), "png"
            picture.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue(), "jpg"
    except BadImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError, EOFError) as error:
        raise BadImage("not_image") from error


def save_image(upload: FileStorage, owner: str, audience: str = "public",
               purpose: str = "") -> str:
    """Checks, re-encodes and stores a picture; returns its file name."""
    content, extension = checked_image(upload)
    name = f"{secrets.token_urlsafe(18)}.{extension}"
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    accounts().add_upload(name, owner, audience, purpose)
    return name


def remove_upload(name: str) -> None:
    if NAME.match(name):
        (uploads_dir() / name).unlink(missing_ok=True)
    accounts().remove_upload(name)


@bp.get("/uploads/<name>")
def serve_upload(name: str) -> Response:
    if not NAME.match(name):
        abort(404)
    found = accounts().upload(name)
    if found is None:
        abort(404)
    owner, audience = found
    viewer = current_account()
    if audience == "members" and viewer is None:
        abort(404)
    if audience == "private" and (viewer is None or viewer.actor != owner):
        abort(404)
    response = send_from_directory(uploads_dir(), name, max_age=3600 if audience == "public"
                                   else 0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    if audience != "public":
        response.headers["Cache-Control"] = "private, no-store"
    return response
