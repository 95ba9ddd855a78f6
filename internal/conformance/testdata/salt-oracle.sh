#!/bin/sh
# salt-oracle.sh CASE_DIR [SLS...]: writes CASE_DIR/expected.json,
# SaltStack 3006.1's `salt-call --local state.show_lowstate --out json`
# for the case (CASE_DIR/states is the file root with its top.sls,
# CASE_DIR/pillar the pillar root, grains.json beside this script the
# static grains); with SLS names, CASE_DIR/expected/SLS.json for each,
# Salt's state.show_low_sls SLS (FUN=state.show_sls: expected-show_sls/SLS.json
# with Salt's state.show_sls).
# Needs SALT_SRC (a Salt 3006.1 source tree, see TECH-NOTES) and its
# Debian Python packages; PYTHONPATH gets SALT_SRC and SALT_SHIM (a dir
# with a looseversion.py).
set -eu
: "${SALT_SRC:?set SALT_SRC to a Salt 3006.1 source tree}"
here=$(cd "$(dirname "$0")" && pwd)
salt_call() { # conf-dir args...
	conf=$1
	shift
	PYTHONPATH="$SALT_SRC:${SALT_SHIM:-}" /usr/bin/python3 "$SALT_SRC/scripts/salt-call" \
		-c "$conf" --local --out json "$@"
}
if [ $# -gt 1 ] && [ ! -d "$2" ]; then
	c=$(cd "$1" && pwd)
	shift
	mode=sls
else
	mode=top
fi
for c0 in "$@"; do
	if [ $mode = top ]; then c=$(cd "$c0" && pwd); fi
	tmp=$(mktemp -d)
	mkdir -p "$tmp/conf"
	{
		echo "id: conformance"
		echo "file_client: local"
		echo "file_roots: {base: [$c/states]}"
		echo "pillar_roots: {base: [$c/pillar]}"
		echo "log_level: quiet"
		printf "grains: "
		cat "$here/grains.json"
	} > "$tmp/conf/minion"
	if [ $mode = top ]; then
		out=$c/expected.json
		salt_call "$tmp/conf" state.show_lowstate > "$out" 2>"$tmp/err" || cat "$tmp/err" >&2
	else
		fun=${FUN:-state.show_low_sls}
		dir=$c/expected
		if [ "$fun" != state.show_low_sls ]; then dir=$c/expected-${fun#state.}; fi
		mkdir -p "$dir"
		out=$dir/$c0.json
		salt_call "$tmp/conf" "$fun" "$c0" > "$out" 2>"$tmp/err" || cat "$tmp/err" >&2
	fi
	rm -rf "$tmp"
	echo "$out: $(wc -c < "$out") bytes"
done
