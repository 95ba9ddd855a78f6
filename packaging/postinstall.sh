#!/bin/sh
# Creates the user the master runs as; the minion runs as root.
set -e
if ! getent group brine >/dev/null 2>&1; then
	groupadd --system brine 2>/dev/null || addgroup --system brine
fi
if ! getent passwd brine >/dev/null 2>&1; then
	useradd --system --gid brine --home-dir /var/lib/brine/master --no-create-home --shell /usr/sbin/nologin brine 2>/dev/null ||
		adduser --system --ingroup brine --home /var/lib/brine/master --no-create-home --shell /usr/sbin/nologin brine
fi
mkdir -p /var/lib/brine/master /var/lib/brine/minion
chown brine:brine /var/lib/brine/master
chmod 0700 /var/lib/brine/master /var/lib/brine/minion
# The master (user brine) reads its config; others may not (it can hold
# API secrets).
chgrp brine /etc/brine/master.yaml /etc/brine/master.d 2>/dev/null || true
if command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
