"""Steps 14 and 15: the map from Exchange's internal addresses to SMTP addresses, and the
converter for Outlook's exports (vCard, iCalendar, contact CSV). Admins and the helpdesk use
both: a conversion changes nothing on any server nor in the wizard's database."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from migrator.internal_addresses import AddressMap, address_map_csv, build_address_map
from wizard import conversions
from wizard.directory_store import directory_json
from wizard.forms import AddressFilesForm
from wizard.models import Migration
from wizard.roles import staff_required

ENTRIES_PER_PAGE = 100


def _address_map(migration: Migration) -> AddressMap:
    return build_address_map(directory_json(migration))


@staff_required
def address_map(request, migration_id: int):
    """Every internal address of the imported directory and the SMTP address it becomes."""
    migration = get_object_or_404(Migration, pk=migration_id)
    addresses = _address_map(migration)
    query = request.GET.get("q", "").strip()
    entries = list(addresses.entries)
    if query:
        needle = query.casefold()
        entries = [
            e for e in entries
            if any(needle in value.casefold() for value in (e.dn, e.address, e.name, e.kind))
        ]
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "addresses/address_map.html", {
        "migration": migration,
        "page": page,
        "query": query,
        "total": len(addresses.entries),
        "matching": len(entries),
        "conflicts": sorted(addresses.conflicts.items()),
        "without_address": sum(1 for e in addresses.entries if not e.address),
    })


@staff_required
def address_map_download(request, migration_id: int):
    """The map as CSV (`internal_address,smtp_address,kind,name`), with a byte order mark so
    that Excel shows umlauts."""
    migration = get_object_or_404(Migration, pk=migration_id)
    text = address_map_csv(_address_map(migration))
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="addresses-{migration.pk}-map.csv"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def convert(request, migration_id: int):
    """Upload Outlook's exports, get them back with SMTP addresses, and the report."""
    migration = get_object_or_404(Migration, pk=migration_id)
    directory = directory_json(migration)
    has_directory = any(directory.values())
    form = AddressFilesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and has_directory:
        uploads = [
            conversions.Upload(upload.name, upload.read())
            for upload in form.cleaned_data["files"]
        ]
        token, _ = conversions.convert_uploads(
            migration.pk,
            uploads,
            build_address_map(directory),
            allow_suffix=not form.cleaned_data["exact_only"],
        )
        conversions.remember(request.session, token)
        return redirect(reverse("address_convert", args=[migration.pk]) + f"?result={token}")
    token = request.GET.get("result", "")
    report = None
    if token and conversions.owned(request.session, token):
        report = conversions.report_of(token)
    return render(request, "addresses/convert.html", {
        "migration": migration,
        "form": form,
        "has_directory": has_directory,
        "token": token if report else "",
        "files": _file_rows(report),
        "converted": len(conversions.converted_files(token)) if report else 0,
    })


def _file_rows(report: dict | None) -> list[dict]:
    """Each file of the report with its suffix matches picked out."""
    if not report:
        return []
    return [
        {
            **entry,
            "suffix_matches": [r for r in entry.get("replacements", []) if r["how"] == "suffix"],
        }
        for entry in report["files"]
    ]


@staff_required
def download(request, migration_id: int, token: str):
    """The conversion's files: one directly, several as a zip; `?name=` one of them, or
    report.json. Only for the session that uploaded them."""
    if not conversions.owned(request.session, token):
        raise Http404
    report = conversions.report_of(token) or {}
    if report.get("migration") != migration_id:
        raise Http404
    files = {path.name: path for path in conversions.converted_files(token)}
    name = request.GET.get("name")
    if name == conversions.REPORT:
        response = HttpResponse(
            (conversions.root() / token / conversions.REPORT).read_bytes(),
            content_type="application/json",
        )
        response["Content-Disposition"] = 'attachment; filename="conversion-report.json"'
        return response
    if name is not None or len(files) == 1:
        path = files.get(name) if name is not None else next(iter(files.values()))
        if path is None:
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
    if not files:
        raise Http404
    response = HttpResponse(conversions.zipped(token), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="converted-exports.zip"'
    return response
