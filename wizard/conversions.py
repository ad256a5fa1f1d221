"""Outlook exports converted on the address page (steps 14 and 15), kept for their download.

Each conversion is a folder `VAR_DIR/conversions/<token>/` holding the converted files and
`report.json`; the token is remembered in the session of whoever uploaded, and only that
session downloads. Nothing in the database changes. Conversions older than an hour are
removed whenever a new one is made: the files hold people's contacts and calendars.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath

from django.conf import settings

from migrator.address_conversion import convert_file
from migrator.errors import MigratorError
from migrator.internal_addresses import AddressMap
from migrator.text import say

KEEP_SECONDS = 3600
SESSION_KEY = "address_conversions"
REPORT = "report.json"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def root() -> Path:
    return Path(settings.VAR_DIR) / "conversions"


def convert_uploads(
    migration_id: int, uploads: list[Upload], addresses: AddressMap, *, allow_suffix: bool
) -> tuple[str, dict]:
    """Convert every upload (an unreadable one gets an error, the others still convert) and
    keep the results; returns the token and the report, shaped like `convertaddresses
    --report`: `{"files": [...]}` with `"error"` for a file that could not be read. The report
    keeps the engine's English; pages show it through wizard.recorded."""
    remove_expired()
    token = secrets.token_urlsafe(18)
    folder = root() / token
    root().mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.mkdir(mode=0o700)
    (folder / "files").mkdir(mode=0o700)
    files, written = [], set()
    for upload in uploads:
        name = safe_name(upload.name)
        try:
            if name.lower() in written:
                raise MigratorError(
                    say("another file is named {name} too; it was not converted", name=name)
                )
            conversion = convert_file(name, upload.data, addresses, allow_suffix=allow_suffix)
        except MigratorError as e:
            files.append({"name": name, "replaced": 0, "unresolved": [], "error": str(e)})
            continue
        (folder / "files" / name).write_bytes(conversion.data)
        written.add(name.lower())
        files.append(conversion.report.to_json())
    report = {"migration": migration_id, "files": files}
    (folder / REPORT).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return token, report


def safe_name(name: str) -> str:
    """The upload's own name without any path, and never a hidden or empty one."""
    base = PurePath(name.replace("\\", "/")).name.strip().lstrip(".")
    base = re.sub(r"[\x00-\x1f/]", "_", base)
    return base[:200] or "export"


def report_of(token: str) -> dict | None:
    path = _folder(token) / REPORT if _folder(token) else None
    if path is None or not path.exists():
        return None
    return json.loads(path.read_text("utf-8"))


def converted_files(token: str) -> list[Path]:
    folder = _folder(token)
    if folder is None or not (folder / "files").is_dir():
        return []
    return sorted((folder / "files").iterdir())


def zipped(token: str) -> bytes:
    """Every converted file of the conversion in one zip, under its own name."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in converted_files(token):
            archive.write(path, path.name)
    return out.getvalue()


def remove_expired(now: float | None = None) -> None:
    now = time.time() if now is None else now
    if not root().is_dir():
        return
    for folder in root().iterdir():
        if folder.is_dir() and now - folder.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


def remember(session, token: str) -> None:
    tokens = [t for t in session.get(SESSION_KEY, []) if (root() / t).is_dir()]
    session[SESSION_KEY] = [*tokens, token][-20:]


def owned(session, token: str) -> bool:
    return token in session.get(SESSION_KEY, []) and _folder(token) is not None


def _folder(token: str) -> Path | None:
    if not _TOKEN.fullmatch(token):
        return None
    folder = root() / token
    return folder if folder.is_dir() else None
