#!/usr/bin/env bash
# Compiles the translations (locale/*/LC_MESSAGES/django.po) into the .mo files Django reads, when
# a .po is newer than its .mo: the .mo files are built here, never committed. Needs msgfmt (the
# Debian package gettext), which it installs when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v msgfmt >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext
  else
    echo "msgfmt is missing: install the Debian package gettext (as root)." >&2
    exit 1
  fi
fi
for po in locale/*/LC_MESSAGES/*.po; do
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    msgfmt --check -o "$mo" "$po"
  fi
done
