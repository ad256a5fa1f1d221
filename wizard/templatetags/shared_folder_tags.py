"""The shared folders' status (step 17) where other pages show it: the step page, the dashboard."""

from __future__ import annotations

from django import template

from wizard import shared_folder_store

register = template.Library()


@register.inclusion_tag("shared_folders/status.html")
def shared_folder_status(migration) -> dict:
    return shared_folder_store.status_of(migration)
