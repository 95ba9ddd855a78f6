#!/usr/bin/env bash
# Checks what `make package` built: the .deb's contents, the systemd units,
# the OCI image's layout, and that the packaged master starts and answers
# the packaged ctl. CI runs it after `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls dist/brine_*_amd64.deb)
rpm=$(ls dist/brine-*.x86_64.rpm)
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "== dpkg-deb -c $deb"
dpkg-deb -c "$deb" | tee "$tmp/contents"
for f in ./usr/bin/brine-master ./usr/bin/brine-minion ./usr/bin/brine-ctl \
	./lib/systemd/system/brine-master.service ./lib/systemd/system/brine-minion.service \
	./etc/brine/master.yaml ./etc/brine/minion.yaml ./usr/share/doc/brine/README.md; do
	grep -q " $f\$" "$tmp/contents" || { echo "missing from the .deb: $f" >&2; exit 1; }
done
dpkg-deb -I "$deb" | grep -q 'conffiles' || { echo "the .deb has no conffiles" >&2; exit 1; }
test -s "$rpm" || { echo "no .rpm" >&2; exit 1; }

root="$tmp/root"
dpkg-deb -x "$deb" "$root"
if command -v systemd-analyze >/dev/null 2>&1; then
	echo "== systemd-analyze verify"
	mkdir -p "$tmp/units"
	for u in brine-master brine-minion; do
		sed "s#/usr/bin/#$root/usr/bin/#g; s#/etc/brine/#$root/etc/brine/#g" "$root/lib/systemd/system/$u.service" >"$tmp/units/$u.service"
	done
	out=$(systemd-analyze verify "$tmp/units/brine-master.service" "$tmp/units/brine-minion.service" 2>&1 | grep -v 'sysinit.target\|Unit .* not found' || true)
	if [ -n "$out" ]; then echo "$out" >&2; exit 1; fi
else
	echo "systemd-analyze not available: units not verified"
fi

echo "== OCI image"
(cd tools/package && go run . -verify-image ../../dist/oci/brine-master)

echo "== the packaged master starts and answers the packaged ctl"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$root/usr/bin/brine-master" -c "$root/etc/brine/master.yaml" --root-dir "$tmp/state" --listen "127.0.0.1:$port" >"$tmp/master.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	[ -s "$tmp/state/master.url" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/master.log" >&2; exit 1; }
	sleep 0.1
done
"$root/usr/bin/brine-ctl" --root-dir "$tmp/state" key -L
"$root/usr/bin/brine-ctl" --versions-report | head -3
kill -TERM "$pid"
wait "$pid"
pid=""
echo "package check passed"
