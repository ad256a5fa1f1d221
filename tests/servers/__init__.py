"""Real servers for tests: Dovecot, Cyrus, Samba AD, Redis, and a TCP proxy (no Django here).

Every server starts in a directory the caller gives, on free ports, waits until it answers and
raises ServerStartError with the tail of its log when it does not; `stop()` (or leaving the
`with` block) kills it and its children.
"""
