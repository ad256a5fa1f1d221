#!/usr/bin/env bash
# Installs the Debian packages that the test servers (tests/servers/) and the browser tests
# (tests/e2e/: Debian's Chromium driven by Playwright, which downloads no browser here) need,
# when missing, and unpacks Cyrus' imapd into /var/cache/exchange-migrator/cyrus (cyrus-imapd
# conflicts with dovecot-imapd, so it is unpacked, never installed). Idempotent; needs root
# only to install.
set -euo pipefail

PACKAGES=(
    dovecot-core dovecot-imapd dovecot-pop3d
    samba samba-ad-dc samba-ad-provision winbind krb5-user ldb-tools python3-samba
    cyrus-common cyrus-admin cyrus-clients
    redis-server openssl dnsmasq-base gettext
    chromium fonts-dejavu-core
)
CYRUS_ROOT=/var/cache/exchange-migrator/cyrus
IMAPD="$CYRUS_ROOT/usr/lib/cyrus/bin/imapd"
export DEBIAN_FRONTEND=noninteractive
cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

warn_about_listeners() {
    command -v ss >/dev/null || return 0
    for port in 143 389 636; do
        if ss -Hltn "sport = :$port" | awk '{print $4}' | grep -Eq '^(0\.0\.0\.0|\*|\[::\]):'; then
            echo "install-test-debs: warning: something listens on all addresses at port $port;" \
                "stop it, it gets in the way of the test servers" >&2
        fi
    done
}

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 && -x "$IMAPD" ]]; then
    warn_about_listeners
    exit 0
fi
if [[ $EUID -ne 0 ]]; then
    echo "install-test-debs: as root, install these Debian packages: ${missing[*]:-(none)}" >&2
    [[ -x "$IMAPD" ]] || echo "install-test-debs: and unpack cyrus-imapd into $CYRUS_ROOT" >&2
    echo "install-test-debs: e.g. sudo $0" >&2
    exit 1
fi

if [[ ${#missing[@]} -gt 0 ]]; then
    echo "install-test-debs: installing ${missing[*]}"
    # Packages must not start system services (a Dovecot on 143, a Samba on 389 and 636 would
    # get in the way of the test servers): forbid it while installing, unless already forbidden.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        cleanup+=(/usr/sbin/policy-rc.d)
    fi
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -x "$IMAPD" ]]; then
    echo "install-test-debs: unpacking cyrus-imapd into $CYRUS_ROOT"
    mkdir -p "$(dirname "$CYRUS_ROOT")"
    work=$(mktemp -d "$(dirname "$CYRUS_ROOT")/.cyrus-XXXXXX")
    cleanup+=("$work")
    version=$(dpkg-query -W -f='${Version}' cyrus-common)
    download=(apt-get download -q -o APT::Sandbox::User=root "cyrus-imapd=$version")
    (cd "$work" && { "${download[@]}" || { apt-get update -q && "${download[@]}"; }; })
    dpkg-deb -x "$work"/cyrus-imapd_*.deb "$work/root"
    chmod 755 "$work/root"
    mv -T "$work/root" "$CYRUS_ROOT" 2>/dev/null || [[ -x "$IMAPD" ]]
fi

warn_about_listeners
