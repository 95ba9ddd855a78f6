#!/usr/bin/env bash
# make demo: a master on the embedded default and three local minions with
# different grains, keys accepted, a few targeted jobs run, results shown.
# Everything runs from a temp dir and stops on Ctrl-C (or at once with
# DEMO_NONINTERACTIVE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/bin"
DIR=$(mktemp -d /tmp/brine-demo.XXXXXX)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 14506)
PIDS=()

cleanup() {
	trap - INT TERM EXIT
	echo
	echo "== stopping demo"
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup INT TERM EXIT

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { printf '\033[2m$ ctl %s\033[0m\n' "$*"; "$BIN/ctl" --root-dir "$DIR/master" "$@" || true; }

cat >"$DIR/master.yaml" <<YAML
root_dir: $DIR/master
listen: 127.0.0.1:$PORT
YAML
bold "starting master (embedded NATS + JetStream) on 127.0.0.1:$PORT"
"$BIN/master" -c "$DIR/master.yaml" 2>"$DIR/master.log" &
PIDS+=($!)
until [ -f "$DIR/master/master.url" ]; do sleep 0.1; done

start_minion() {
	local id=$1 grains=$2
	cat >"$DIR/$id.yaml" <<YAML
id: $id
master: nats://127.0.0.1:$PORT
root_dir: $DIR/minions/$id
grains: $grains
YAML
	"$BIN/minion" -c "$DIR/$id.yaml" 2>"$DIR/$id.log" &
	PIDS+=($!)
}
bold "starting three minions"
start_minion web-1 '{roles: [web], env: prod}'
start_minion web-2 '{roles: [web], env: test}'
start_minion db-1 '{roles: [db], env: prod}'

bold "waiting for their keys"
for _ in $(seq 1 100); do
	n=$("$BIN/ctl" --root-dir "$DIR/master" key list --out json | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["minions_pre"]))' 2>/dev/null || echo 0)
	[ "$n" = 3 ] && break
	sleep 0.1
done
ctl key list
ctl key accept --all --yes
for _ in $(seq 1 100); do
	"$BIN/ctl" --root-dir "$DIR/master" test.ping '*' --timeout 1 >/dev/null 2>&1 && break
	sleep 0.2
done

bold "remote execution"
ctl test.ping '*'
ctl grains.item -G 'roles:web' os kernel roles
ctl cmd.run -C 'G@roles:db or web-1' 'uname -sr'
ctl test.echo -X '"web" in grains.roles && grains.env == "prod"' 'hello from Brine'
ctl network.ip_addrs 'env:prod' --out json
ctl jobs list --limit 3

if [ "${DEMO_NONINTERACTIVE:-}" = 1 ]; then exit 0; fi
bold "master and minions are running; try: $BIN/ctl --root-dir $DIR/master test.ping '*'"
echo "Press Ctrl-C to stop."
wait
