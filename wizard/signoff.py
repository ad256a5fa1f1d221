"""Personal sign-off links: a signed, expiring token that opens one user's own checklist."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

SALT = "wizard.signoff"


class SignoffLinkInvalid(Exception):
    pass


def make_signoff_token(mailbox_user_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"u": mailbox_user_id})


def mailbox_user_id_from_token(token: str) -> int:
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.SIGNOFF_LINK_DAYS * 86400
        )
    except signing.SignatureExpired:
        raise SignoffLinkInvalid(
            _("This sign-off link has expired; ask your helpdesk for a new one.")
        ) from None
    except signing.BadSignature:
        raise SignoffLinkInvalid(_("This sign-off link is not valid.")) from None
    return int(data["u"])
