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
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { printf '\033[2m$ ctl %s\033[0m\n' "$*"; "$BIN/ctl" --root-dir "$DIR/master" "$@" || true; }

# A small state tree and pillar: every minion gets a motd and hosts-file
# entries for its peers from the mine (as in the Heroku-to-AWS write-up);
# web minions also get a templated site page with a pillar value.
mkdir -p "$DIR/srv/salt/web" "$DIR/srv/pillar" "$DIR/out"
cat >"$DIR/srv/salt/top.sls" <<'SLS'
base:
  '*':
    - common
  'roles:web':
    - match: grain
    - web
SLS
cat >"$DIR/srv/salt/common.sls" <<SLS
motd:
  file.managed:
    - name: $DIR/out/{{ grains['id'] }}/motd
    - makedirs: True
    - contents: "{{ grains['id'] }} ({{ grains['roles'] | join(',') }}) managed by Brine for {{ pillar.get('site', 'nobody') }}"

{% for id, addrs in salt['mine.get']('env:{0}'.format(grains['env']), 'loopback', expr_form='grain').items() %}
{{ id }}-host-entry:
  host.present:
    - ip: {{ addrs|first() }}
    - names:
      - {{ id }}.demo
{% endfor %}
SLS
cat >"$DIR/srv/salt/web/init.sls" <<SLS
site:
  file.managed:
    - name: $DIR/out/{{ grains['id'] }}/index.html
    - source: salt://web/index.html.j2
    - template: jinja
    - makedirs: True
    - context:
        title: {{ pillar['web']['title'] }}
SLS
cat >"$DIR/srv/salt/web/index.html.j2" <<'SLS'
<h1>{{ title }}</h1>
<p>served by {{ grains['id'] }}</p>
SLS
cat >"$DIR/srv/pillar/top.sls" <<'SLS'
base:
  '*':
    - common
  'web-*':
    - web
SLS
echo "site: example.org" >"$DIR/srv/pillar/common.sls"
printf 'web:\n  title: Hello from Brine\n' >"$DIR/srv/pillar/web.sls"

cat >"$DIR/master.yaml" <<YAML
root_dir: $DIR/master
listen: 127.0.0.1:$PORT
file_roots: {base: [$DIR/srv/salt]}
pillar_roots: {base: [$DIR/srv/pillar]}
cloud:
  providers:
    local: {driver: local}
  profiles:
    web-local:
      provider: local
      grains: {roles: [web], env: prod}
      startup_states: highstate
      minion: {hosts.file: $DIR/out/cloud.hosts}
YAML
touch "$DIR/out/cloud.hosts"
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
hosts.file: $DIR/out/$id.hosts
mine_functions:
  loopback:
    - mine_function: network.ip_addrs
    - lo
    - include_loopback: true
YAML
	touch "$DIR/out/$id.hosts"
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
ctl run mine.get '*' loopback

bold "highstate"
ctl state.apply '*'
echo; echo "web-1's page:"; cat "$DIR/out/web-1/index.html"
echo "web-1's hosts file:"; cat "$DIR/out/web-1.hosts"
bold "the same highstate again: nothing to change"
"$BIN/ctl" --root-dir "$DIR/master" state.apply 'web-1' --out json | python3 -c 'import json,sys; d=json.load(sys.stdin)["web-1"]; print(len(d), "states,", sum(1 for v in d.values() if v["changes"]), "changed")'
ctl jobs list --limit 3

bold "cloud: three nodes from the web-local profile (local driver); they join with single-use tokens and run their highstate"
ctl cloud create -p web-local web-3 web-4 web-5
ctl cloud list
ctl key list
echo "web-4's page:"; cat "$DIR/out/web-4/index.html"
ctl cloud destroy web-5 --yes

if [ "${DEMO_NONINTERACTIVE:-}" = 1 ]; then exit 0; fi
bold "master and minions are running; try: $BIN/ctl --root-dir $DIR/master test.ping '*'"
echo "Press Ctrl-C to stop."
wait
