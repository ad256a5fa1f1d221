"""Small template helpers."""

from __future__ import annotations

from django import template

from wizard import recorded as recorded_text

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def percent(part, whole) -> int:
    try:
        return min(100, round(100 * (part or 0) / whole)) if whole else 0
    except (TypeError, ValueError):
        return 0


@register.filter
def recorded(text):
    """Something kept as written in English (an audit entry, a worker's message) in the page's
    language where the catalogue has it, else as it was written."""
    return recorded_text.recorded(text)
