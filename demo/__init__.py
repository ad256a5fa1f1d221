"""`make demo`: a sandbox organisation on loopback and the wizard pointed at it.

`organisation` says who works there and what their mailboxes hold, `sandbox` starts and fills
the servers (Exchange-like IMAP with public folders, Samba AD, an empty Intra2net-like target,
an SMTP port), `site` runs the app (web, worker, a Redis of its own) on a database of its own,
and `configure` points a migration at the sandbox. The end-to-end tests (tests/e2e/) start the
same sandbox and site.
"""
