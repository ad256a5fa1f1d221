"""Durations, rates and counts in a few characters, for the dashboard and the admins' mails, in
the language of the page (or of the mail)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext

NOTHING = "—"


def duration_text(value: timedelta | float | None) -> str:
    """"45 s", "12 min", "3 h 05 min", "2 d 4 h" ("2 T 4 h" in German); "—" for nothing."""
    if value is None or value == "":
        return NOTHING
    seconds = round(value.total_seconds() if isinstance(value, timedelta) else float(value))
    if seconds < 60:
        return gettext("%(seconds)d s") % {"seconds": max(seconds, 0)}
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    if hours < 24:
        return gettext("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes % 60}
    return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours % 24}


def rate_text(bytes_per_second: float | None) -> str:
    if not bytes_per_second:
        return NOTHING
    return gettext("%(size)s/s") % {"size": filesizeformat(bytes_per_second)}


def amounts_text(messages_done: int, messages_total: int, bytes_done: int, bytes_total: int) -> str:
    """"21 of 22 msgs · 426.8 KB of 2.4 MB"."""
    return ngettext(
        "%(done)s of %(total)s msg · %(bytes_done)s of %(bytes_total)s",
        "%(done)s of %(total)s msgs · %(bytes_done)s of %(bytes_total)s",
        messages_total,
    ) % {
        "done": intcomma(messages_done),
        "total": intcomma(messages_total),
        "bytes_done": filesizeformat(bytes_done),
        "bytes_total": filesizeformat(bytes_total),
    }
