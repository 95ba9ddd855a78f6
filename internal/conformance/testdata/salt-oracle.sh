#!/bin/sh
# salt-oracle.sh CASE_DIR...: writes CASE_DIR/expected.json, SaltStack
# 3006.1's `salt-call --local state.show_lowstate --out json` for the
# case: CASE_DIR/states is the file root (with its top.sls),
# CASE_DIR/pillar the pillar root, ../grains.json the static grains.
# Needs SALT_SRC (a Salt 3006.1 source tree, see TECH-NOTES) and its
# Debian Python packages; PYTHONPATH gets SALT_SRC and SALT_SHIM (a dir
# with a looseversion.py).
set -eu
: "${SALT_SRC:?set SALT_SRC to a Salt 3006.1 source tree}"
here=$(cd "$(dirname "$0")" && pwd)
for c in "$@"; do
	c=$(cd "$c" && pwd)
	tmp=$(mktemp -d)
	mkdir -p "$tmp/conf"
	{
		echo "id: conformance"
		echo "file_client: local"
		echo "root_dir: $tmp/root"
		echo "cachedir: $tmp/cache"
		echo "file_roots: {base: [$c/states]}"
		echo "pillar_roots: {base: [$c/pillar]}"
		echo "log_level: quiet"
		printf "grains: "
		cat "$here/grains.json"
	} > "$tmp/conf/minion"
	PYTHONPATH="$SALT_SRC:${SALT_SHIM:-}" /usr/bin/python3 "$SALT_SRC/scripts/salt-call" \
		-c "$tmp/conf" --local --out json state.show_lowstate > "$c/expected.json" 2>"$tmp/err" || {
		cat "$tmp/err" >&2
	}
	rm -rf "$tmp"
	echo "$c: $(wc -c < "$c/expected.json") bytes"
done
