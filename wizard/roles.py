"""Who may do what: migration admins change everything, the helpdesk reads and signs off.

The third audience, a user with a sign-off link, has no account: see wizard.signoff.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Migration admin")
    HELPDESK = "helpdesk", _("Helpdesk")


GROUP_NAMES = {Role.ADMIN: "migration admin", Role.HELPDESK: "helpdesk"}


def role_of(user) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    names = {group.name for group in user.groups.all()}
    for role in (Role.ADMIN, Role.HELPDESK):
        if GROUP_NAMES[role] in names:
            return role
    return None


def give_role(user, role: Role) -> None:
    group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
    user.groups.add(group)


def _requiring(*roles: Role):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = _requiring(Role.ADMIN)
staff_required = _requiring(Role.ADMIN, Role.HELPDESK)


def role_context(request) -> dict:
    role = role_of(request.user) if hasattr(request, "user") else None
    return {"role": role, "is_admin": role == Role.ADMIN}
