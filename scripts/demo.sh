#!/usr/bin/env bash
# `make demo`: a sandbox organisation (Exchange-like IMAP, Samba AD, an empty Intra2net-like
# target) and the wizard pointed at it, all on loopback; Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m demo "$@"
