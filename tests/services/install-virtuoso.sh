#!/bin/sh
# Installs Debian's Virtuoso Open Source (server + isql) when virtuoso-t is missing.
#
# The package asks for a dba password through debconf; it is preseeded so the install is
# non-interactive. The tests never use that database: they start their own virtuoso-t on a
# fresh database in a temp dir (tests/services/virtuoso.py), where dba/dba is the default.
# The package's own service is not started here (no systemd), and nothing listens after
# the install.
set -eu

if command -v virtuoso-t >/dev/null 2>&1; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
printf '%s\n' \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password dba" \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password dba" \
    | $SUDO debconf-set-selections

# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    $SUDO apt-get update -q
fi
# policy-rc.d 101 keeps the maintainer scripts from trying to start the packaged service.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=""
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod +x "$POLICY"
    CREATED_POLICY=1
fi
$SUDO apt-get install -y -q --no-install-recommends virtuoso-opensource || status=$?
if [ -n "$CREATED_POLICY" ]; then
    $SUDO rm -f "$POLICY"
fi
exit "${status:-0}"
