"""A lock per mailbox in Redis, so that workers on several hosts never copy one mailbox at the
same time.

The lock expires after `MAILBOX_LOCK_SECONDS` unless its holder renews it. A thread renews it
every third of that while the copy runs: a slow server or a large message never lets it lapse,
but a crashed worker (or its host) stops renewing, and once the lock has expired another worker
takes the mailbox up again (wizard.tasks.requeue_orphaned_copies). Should a renewal find the lock
gone anyway (Redis was out of reach for too long), the copy stops between two batches.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid

import redis
from django.conf import settings

from wizard.celery import app as celery_app

log = logging.getLogger(__name__)

# Compare-and-set in Redis: only the holder renews or releases its lock.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def client() -> redis.Redis:
    """The Redis that holds the locks: LOCK_REDIS_URL, or else Celery's broker."""
    url = settings.LOCK_REDIS_URL or celery_app.conf.broker_url
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(
                url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True
            )
        return _clients[url]


def key_of(mailbox_user_id: int) -> str:
    return f"migrator:mailbox-lock:{mailbox_user_id}"


def holder(mailbox_user_id: int) -> str | None:
    """Who holds the mailbox's lock ("host:pid:..."), or None."""
    return client().get(key_of(mailbox_user_id))


class MailboxLock:
    """`with MailboxLock(id) as lock:` then `lock.held`; released on leaving."""

    def __init__(self, mailbox_user_id: int, seconds: float | None = None) -> None:
        self.key = key_of(mailbox_user_id)
        self.seconds = float(seconds or settings.MAILBOX_LOCK_SECONDS)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self.lost = threading.Event()
        self._done = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        self.held = bool(client().set(self.key, self.token, nx=True, px=self._ms()))
        if self.held:
            self._renewer = threading.Thread(
                target=self._renew, name=f"renew {self.key}", daemon=True
            )
            self._renewer.start()
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        self._done.set()
        if self._renewer is not None:
            self._renewer.join()
        with contextlib.suppress(redis.RedisError):  # it expires by itself
            client().eval(_RELEASE, 1, self.key, self.token)
        self.held = False

    def __enter__(self) -> MailboxLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _ms(self) -> int:
        return max(1, int(self.seconds * 1000))

    def _renew(self) -> None:
        interval = self.seconds / 3
        while not self._done.wait(interval):
            try:
                renewed = client().eval(_RENEW, 1, self.key, self.token, self._ms())
            except redis.RedisError as error:
                log.warning("could not renew %s: %s", self.key, error)
                continue  # the next try may still come before it expires
            if not renewed:
                log.error("%s expired while its copy ran: stopping that copy", self.key)
                self.lost.set()
                return
