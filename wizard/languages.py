"""Which language a page speaks. An account's own choice wins (kept in its preferences, and in
the session from its login on, so that no request pays a query for it); without one, the
browser's preference (Django's LocaleMiddleware); without that, DEFAULT_LANGUAGE. A sign-off
link speaks its user's language: the directory's preferredLanguage, the admin's or the user's
own choice, else DEFAULT_LANGUAGE (wizard.views.checklist)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

SESSION_KEY = "account_language"


def supported_language(preference: str) -> str:
    """The first of the wizard's languages in a preference as the directory writes it ("de-DE",
    "de_AT", "fr, de;q=0.8"), or "" when none of them is there."""
    codes = dict(settings.LANGUAGES)
    for part in (preference or "").split(","):
        primary = part.split(";")[0].strip().replace("_", "-").split("-")[0].lower()
        if primary in codes:
            return primary
    return ""


def account_language(user) -> str:
    """The language an account chose, "" for the browser's."""
    from wizard.models import AccountPreferences

    return (
        AccountPreferences.objects.filter(user=user).values_list("language", flat=True).first()
        or ""
    )


def set_account_language(request, language: str) -> None:
    """Store the account's choice ("" for the browser's) and use it from this request on."""
    from wizard.models import AccountPreferences

    AccountPreferences.objects.update_or_create(user=request.user, defaults={"language": language})
    request.session[SESSION_KEY] = language


def language_for_mail(user) -> str:
    """The language of e-mail to an account: its own choice, else DEFAULT_LANGUAGE."""
    return account_language(user) or settings.LANGUAGE_CODE


@receiver(user_logged_in)
def remember_account_language(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = account_language(user)


class AccountLanguageMiddleware:
    """After the session and LocaleMiddleware: the account's own language over the browser's."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        language = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
