"""Subject access packs (UK GDPR Art. 15): building one for a member's task, and its one
download.

``pack_build`` enters the task's member schema at the task boundary (``tenants.boundary``),
reads the sections (``rights.pack_sections``) in chunks, and writes the ZIP through
temporary files on disk, so a member of any size is packed without holding it in memory.
The ZIP goes to the private media folder (never served); its row, in the public schema,
keeps the checksum, size, who built it and, once it is downloaded, who did and when.

A pack is downloaded once: ``pack_download`` hands over an open file, deletes the stored
file when the transaction commits, and refuses any later attempt. A rebuild (audited) makes
a fresh pack and deletes the file of one not yet downloaded.

Tenant assumptions: called on any schema (a member's site, usually); the pack's row lives in
the public schema, reachable from every member's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from tenants.audit import audit_record
from tenants.boundary import member_run
from tenants.csvfile import CsvRows
from tenants.permissions import AnyUser

from .models import MemberTask, RequestKind, RequestStatus, TaskStatus
from .pack_models import PACK_FOLDER, SubjectAccessPack
from .pack_permissions import can_handle_pack
from .pack_sections import Section, contacts_of, pack_sections, shown
from .routing_services import task_mark_done

if TYPE_CHECKING:
    from tenants.models import Member

NOT_A_LEAD = "Only a data protection lead of this member can build or download its pack."
NOT_ACCESS = "This task is not a subject access request."
NO_CONTACTS = "This member holds no records of the person any more: there is nothing to pack."
ALREADY_DOWNLOADED = (
    "This pack has already been downloaded, and its file deleted: a pack can be downloaded "
    "only once. Build the pack again if you need a fresh copy."
)
NOT_AVAILABLE = "There is no pack to download. Build the pack first."
READY = "The pack is ready: download it once from this page."
FILE_MISSING = "The pack's file could not be found. Build the pack again."

SUMMARY_STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;color:#1b1b1b;max-width:70rem;margin:2rem auto;"
    "padding:0 1rem;line-height:1.5}h1{font-size:1.8rem}h2{font-size:1.3rem;margin-top:2.5rem;"
    "border-bottom:2px solid #1d4f91}table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{border:1px solid #b1b4b6;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f3f2f1}.note{color:#505a5f}.empty{font-style:italic}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:bold}"
)


def _authorise(user: AnyUser | None, task: MemberTask) -> None:
    if task.request.kind != RequestKind.ACCESS:
        raise ValidationError(NOT_ACCESS)
    if not can_handle_pack(user, task):
        raise PermissionDenied(NOT_A_LEAD)


# --- writing the ZIP ----------------------------------------------------------------------


class _SectionFiles:
    """A section's CSV and JSON, written row by row to files in ``folder``."""

    def __init__(self, folder: Path, section: Section) -> None:
        self.csv_path = folder / f"{section.key}.csv"
        self.json_path = folder / f"{section.key}.json"
        self._csv = self.csv_path.open("w", encoding="utf-8", newline="")
        self._writer = CsvRows(self._csv)
        self._writer.writerow(section.columns)
        self._json = self.json_path.open("w", encoding="utf-8")
        self._json.write("[")
        self._columns = section.columns
        self.count = 0

    def add(self, row: list[Any]) -> None:
        self._writer.writerow(row)
        entry = dict(zip(self._columns, row, strict=True))
        line = json.dumps(entry, ensure_ascii=False)
        self._json.write(("," if self.count else "") + "\n  " + line)
        self.count += 1

    def close(self) -> None:
        self._csv.close()
        self._json.write("\n]\n" if self.count else "]\n")
        self._json.close()


def _html_head(task: MemberTask, contacts: list, built_at: Any) -> str:
    names = ", ".join(escape(c.display_name) for c in contacts)
    member = escape(task.member.name)
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Your data held by {member}</title>\n<style>{SUMMARY_STYLE}</style>\n"
        "</head>\n<body>\n"
        f"<h1>Your data held by {member}</h1>\n"
        "<p>This is a copy of the personal data about you that this member of "
        f"{escape(settings.CONSORTIUM_NAME)} holds in Commons, given to you under your right "
        "of access (UK GDPR Article 15).</p>\n<dl>\n"
        f"<dt>About</dt><dd>{names}</dd>\n"
        f"<dt>Held by</dt><dd>{member}</dd>\n"
        f"<dt>Request reference</dt><dd>{escape(task.request.reference)}</dd>\n"
        f"<dt>Prepared on</dt><dd>{escape(shown(built_at))}</dd>\n"
        "</dl>\n<p>Each part below has a heading and a table; the same data is in the CSV "
        "(for spreadsheets) and JSON files beside this page. README.txt says what each file "
        "is.</p>\n"
    )


def _html_section_start(section: Section) -> str:
    out = f'<h2 id="{section.key}">{escape(section.title)}</h2>\n'
    out += f'<p class="note">{escape(section.note)}</p>\n'
    if section.has_table:
        headers = "".join(f'<th scope="col">{escape(c)}</th>' for c in section.columns)
        out += f"<table>\n<thead><tr>{headers}</tr></thead>\n<tbody>\n"
    return out


def _html_row(row: list[Any]) -> str:
    return "<tr>" + "".join(f"<td>{escape(shown(cell))}</td>" for cell in row) + "</tr>\n"


def _html_section_end(section: Section, count: int) -> str:
    if not section.has_table:
        return ""
    empty = (
        f'<tr><td class="empty" colspan="{len(section.columns)}">Nothing held.</td></tr>\n'
        if not count
        else ""
    )
    return f"{empty}</tbody>\n</table>\n"


def _readme(task: MemberTask, sections: list[Section], counts: dict[str, int]) -> str:
    lines = [
        f"Your data held by {task.member.name} (request {task.request.reference})",
        "",
        "summary.html  A readable page of everything below: open it in a web browser.",
        "README.txt    This list.",
        "",
        "Each part of your data is in two files with the same name: a .csv file (opens in a "
        "spreadsheet; UTF-8) and a .json file (for computers).",
        "",
    ]
    for section in sections:
        if section.has_table:
            lines.append(f"{section.key}.csv, {section.key}.json")
            count = counts[section.key]
            rows = f"{count} row" if count == 1 else f"{count} rows"
            lines.append(f"    {section.title} ({rows}). {section.note}")
        else:
            lines.append(f"{section.title} (no file)")
            lines.append(f"    {section.note}")
        lines.append("")
    return "\n".join(lines)


def _zip_write(task: MemberTask, target: Path, built_at: Any) -> int:
    """Write the pack's ZIP to ``target``; the number of contact records it covers.
    Runs on the member's schema."""
    contacts = contacts_of(list(task.contact_ids))
    if not contacts:
        raise ValidationError(NO_CONTACTS)
    sections = pack_sections(member=task.member, contacts=contacts)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="commons-pack-") as work:
        folder = Path(work)
        summary = (folder / "summary.html").open("w", encoding="utf-8")
        summary.write(_html_head(task, contacts, built_at))
        files: list[_SectionFiles] = []
        for section in sections:
            summary.write(_html_section_start(section))
            count = 0
            if section.has_table:
                out = _SectionFiles(folder, section)
                for row in section.rows():
                    out.add(row)
                    summary.write(_html_row(row))
                out.close()
                files.append(out)
                count = out.count
            counts[section.key] = count
            summary.write(_html_section_end(section, count))
        summary.write("</body>\n</html>\n")
        summary.close()
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", _readme(task, sections, counts))
            archive.write(folder / "summary.html", "summary.html")
            for out in files:
                archive.write(out.csv_path, out.csv_path.name)
                archive.write(out.json_path, out.json_path.name)
    return len(contacts)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _storage_name(member: Member) -> str:
    return f"{PACK_FOLDER}/{member.schema_name}/{uuid.uuid4().hex}.zip"


def _file_delete_on_commit(name: str | None) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


# --- services -----------------------------------------------------------------------------


@transaction.atomic
def _pack_record(task: MemberTask, acting_user: Any, *, name: str, sha256: str, size: int,
                 count: int, built_at: Any) -> SubjectAccessPack:  # fmt: skip
    locked = MemberTask.objects.select_for_update().get(pk=task.pk)
    earlier = list(locked.packs.select_for_update())
    for old in earlier:
        if old.replaced_at is None and old.downloaded_at is None:
            _file_delete_on_commit(old.file.name)
            old.file = ""
            old.replaced_at = built_at
            old.save(update_fields=["file", "replaced_at"])
    pack = SubjectAccessPack(task=locked, built_by=acting_user, sha256=sha256, size=size,
                             file=name, contact_count=count)  # fmt: skip
    pack.full_clean()
    pack.save()
    audit_record(
        action="rights.pack_rebuilt" if earlier else "rights.pack_built",
        actor=acting_user, member=task.member, target=task.request.reference,
        task=task.pk, pack=pack.pk, size=size, sha256=sha256, contacts=count,
    )  # fmt: skip
    return pack


def pack_build(*, task: MemberTask, acting_user: Any) -> SubjectAccessPack:
    """Build the subject access pack of ``task``'s contacts, as a lead of its member.

    Replaces (and deletes the file of) an earlier pack not yet downloaded. Audited as
    ``rights.pack_built``, or ``rights.pack_rebuilt`` when the task already had a pack.
    """
    _authorise(acting_user, task)
    built_at = timezone.now()
    handle, raw_path = tempfile.mkstemp(prefix="commons-pack-", suffix=".zip")
    os.close(handle)
    path = Path(raw_path)
    try:
        count = member_run(task.member, _zip_write, task, path, built_at)
        sha256, size = _digest(path), path.stat().st_size
        with path.open("rb") as source:
            name = default_storage.save(_storage_name(task.member), File(source))
        try:
            pack = _pack_record(task, acting_user, name=name, sha256=sha256,
                                size=size, count=count, built_at=built_at)  # fmt: skip
        except BaseException:
            default_storage.delete(name)  # no orphan file in the private folder
            raise
    finally:
        path.unlink(missing_ok=True)
    return pack


def pack_current(*, task: MemberTask) -> SubjectAccessPack | None:
    """The task's newest pack, downloaded or not (None before the first build)."""
    return task.packs.select_related("built_by", "downloaded_by").first()


def pack_download(*, task: MemberTask, acting_user: Any) -> tuple[SubjectAccessPack, IO[bytes]]:
    """Hand over the task's current pack, once: the row records who downloaded it and when,
    and the stored file is deleted when the transaction commits (the open file returned
    stays readable until it is closed). Raises ValidationError once it has gone."""
    _authorise(acting_user, task)
    with transaction.atomic():
        pack = task.packs.select_for_update().first()
        if pack is None or pack.replaced_at is not None:
            raise ValidationError(NOT_AVAILABLE)
        if pack.downloaded_at is not None or not pack.file:
            raise ValidationError(ALREADY_DOWNLOADED)
        name = str(pack.file.name)
        try:
            opened = default_storage.open(name, "rb")
        except FileNotFoundError as exc:
            raise ValidationError(FILE_MISSING) from exc
        pack.downloaded_at = timezone.now()
        pack.downloaded_by = acting_user
        pack.file = ""
        pack.save(update_fields=["downloaded_at", "downloaded_by", "file"])
        audit_record(
            action="rights.pack_downloaded", actor=acting_user, member=task.member,
            target=task.request.reference, task=task.pk, pack=pack.pk, sha256=pack.sha256,
        )  # fmt: skip
        _file_delete_on_commit(name)
        _task_done_on_download(task, acting_user)
    return pack, opened


def _task_done_on_download(task: MemberTask, acting_user: Any) -> None:
    """Downloading the pack is the member's part of the request: its task is marked done
    (audited as ``rights.task_done``), unless it is finished already or the request closed."""
    fresh = MemberTask.objects.select_related("request").get(pk=task.pk)
    if fresh.status in (TaskStatus.OPEN, TaskStatus.FAILED) and (
        fresh.request.status == RequestStatus.OPEN
    ):
        task_mark_done(task=fresh, acting_user=acting_user)
        task.refresh_from_db(fields=["status", "done_at", "done_by", "error"])


def pack_task_action(task: MemberTask, acting_user: Any) -> str:
    """The subject access task's action (rights.task_actions): build the pack."""
    pack_build(task=task, acting_user=acting_user)
    return READY
