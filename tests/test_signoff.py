"""Sign-off links: signed, expiring, one user each."""

from __future__ import annotations

import time

import pytest
from django.core import signing

from wizard.signoff import SignoffLinkInvalid, mailbox_user_id_from_token, make_signoff_token


def test_a_token_opens_the_user_it_was_made_for():
    assert mailbox_user_id_from_token(make_signoff_token(42)) == 42


def test_a_tampered_token_is_refused():
    token = make_signoff_token(42)
    forged = signing.TimestampSigner(salt="wizard.signoff").sign_object({"u": 43})[:-3] + "abc"
    with pytest.raises(SignoffLinkInvalid, match="not valid"):
        mailbox_user_id_from_token(forged)
    with pytest.raises(SignoffLinkInvalid, match="not valid"):
        mailbox_user_id_from_token(token.replace(token.split(":")[0], "eyJ1Ijo0M30"))


def test_a_token_signed_for_another_purpose_is_refused():
    with pytest.raises(SignoffLinkInvalid):
        mailbox_user_id_from_token(signing.TimestampSigner().sign_object({"u": 42}))


def test_an_old_token_has_expired(settings):
    token = make_signoff_token(42)
    settings.SIGNOFF_LINK_DAYS = 0
    time.sleep(1.1)
    with pytest.raises(SignoffLinkInvalid, match="expired"):
        mailbox_user_id_from_token(token)
