#!/bin/sh
set -e
if command -v systemctl >/dev/null 2>&1; then
	systemctl stop brine-master.service brine-minion.service >/dev/null 2>&1 || true
	systemctl disable brine-master.service brine-minion.service >/dev/null 2>&1 || true
fi
exit 0
