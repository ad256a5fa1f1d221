#!/usr/bin/env bash
# The German catalogue is complete: makemessages adds every text marked for translation in the
# code and templates to locale/de/LC_MESSAGES/django.po (and drops the ones gone), then this
# fails, naming them, while any is untranslated or fuzzy. Run by `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
PO=locale/de/LC_MESSAGES/django.po

before=$(mktemp)
trap 'rm -f "$before"' EXIT
cp "$PO" "$before"
.venv/bin/python manage.py makemessages --locale de --no-obsolete --add-location file \
  --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'demo/*' --ignore 'build/*' \
  >/dev/null
# makemessages stamps the catalogue with the time of the run: no change but that, no new diff.
if diff -q <(grep -v '^"POT-Creation-Date:' "$before") <(grep -v '^"POT-Creation-Date:' "$PO") \
  >/dev/null; then
  cp "$before" "$PO"
fi

statistics=$(msgfmt --check --statistics -o /dev/null "$PO" 2>&1)
echo "German catalogue: $statistics"
if grep -Eq 'untranslated|fuzzy' <<<"$statistics"; then
  echo "Translate these in $PO (and remove the fuzzy marks once checked):" >&2
  msgattrib --untranslated --no-wrap "$PO" | grep -E '^(#:|msgctxt|msgid|msgid_plural)' | grep -v '^msgid ""$' >&2 || true
  msgattrib --only-fuzzy --no-wrap "$PO" | grep -E '^(#:|msgctxt|msgid|msgid_plural)' | grep -v '^msgid ""$' >&2 || true
  exit 1
fi
