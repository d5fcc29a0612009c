#!/usr/bin/env bash
# A classhub district on this machine, on loopback only: three NATS
# servers clustered with JetStream, two or three classhub nodes on them
# (--replicas 3), and HAProxy in front passing WebSockets, each a process
# of its own, so that any one can be killed and started again.
#
#   deploy/local-cluster.sh up            start everything, print the URLs, stop it all on Ctrl-C
#   deploy/local-cluster.sh up -d         the same, and return (stop it with down)
#   deploy/local-cluster.sh status        what runs, what is ready
#   deploy/local-cluster.sh teacher EMAIL NAME    add a teacher (asks the password)
#   deploy/local-cluster.sh kill-node N   SIGKILL classhub node N (a crash)
#   deploy/local-cluster.sh stop-node N   SIGTERM classhub node N (a clean stop)
#   deploy/local-cluster.sh start-node N  start classhub node N again
#   deploy/local-cluster.sh kill-nats N   SIGKILL NATS server N
#   deploy/local-cluster.sh start-nats N  start NATS server N again
#   deploy/local-cluster.sh down          stop everything; the data stays for the next up
#   deploy/local-cluster.sh clean         stop everything and remove the data
#
# Settings (environment):
#   CLUSTER_DIR  where binaries, data, logs and pid files go (default: $TMPDIR/classhub-cluster)
#   NODES        classhub nodes, 2 or 3 (default 3)
#   BASE_PORT    ports are BASE_PORT+80 (load balancer), +101..103 (NATS clients),
#                +201..203 (NATS routes), +301..303 (NATS monitoring),
#                +401..403 (classhub nodes), +501..503 (their metrics) (default 17000)
#
# It builds nats-server (the version in go.mod) and classhub from this
# checkout with the Go toolchain, and installs HAProxy with apt-get when
# it is missing (as root on Debian). docs/OPERATING.md describes its use.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${CLUSTER_DIR:-${TMPDIR:-/tmp}/classhub-cluster}"
nodes="${NODES:-3}"
base="${BASE_PORT:-17000}"
host=127.0.0.1

case "$nodes" in 2 | 3) ;; *)
	echo "NODES must be 2 or 3" >&2
	exit 2
	;;
esac

lb_port=$((base + 80))
nats_port() { echo $((base + 100 + $1)); }
route_port() { echo $((base + 200 + $1)); }
mon_port() { echo $((base + 300 + $1)); }
node_port() { echo $((base + 400 + $1)); }
admin_port() { echo $((base + 500 + $1)); }

nats_urls() {
	local urls=() i
	for i in 1 2 3; do urls+=("nats://$host:$(nats_port "$i")"); done
	(
		IFS=,
		echo "${urls[*]}"
	)
}

say() { printf '%s\n' "$*" >&2; }

# pid_of NAME prints the pid of a process this script started and that
# still runs, or nothing. The command line must still be ours: a pid
# file left from a crash never names someone else's process.
pid_of() {
	local f="$dir/run/$1.pid" pid
	[ -f "$f" ] || return 0
	pid="$(cat "$f")"
	if [ -n "$pid" ] && ours "$pid"; then
		echo "$pid"
	fi
}

# ours PID: the process runs (a zombie's command line is empty) and is one
# of this cluster's.
ours() {
	{ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF "$dir/"
}

# spawn NAME CMD... starts CMD in a session of its own (so that Ctrl-C in
# this terminal reaches only this script, which then stops it in order),
# logging to $dir/log/NAME.log.
spawn() {
	local name="$1"
	shift
	mkdir -p "$dir/run" "$dir/log"
	setsid "$@" >>"$dir/log/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/run/$name.pid"
}

# stop NAME SIGNAL waits up to 30 s for the process to end.
stop() {
	local name="$1" sig="$2" pid i
	pid="$(pid_of "$name")"
	[ -n "$pid" ] || {
		rm -f "$dir/run/$name.pid"
		return 0
	}
	kill -s "$sig" "$pid" 2>/dev/null || true
	for i in $(seq 300); do
		ours "$pid" || break
		sleep 0.1
	done
	if ours "$pid"; then
		say "$name did not stop within 30 s of SIG$sig; killing it"
		kill -s KILL "$pid" 2>/dev/null || true
	fi
	# Reaped here when this shell started it (up in the foreground).
	wait "$pid" 2>/dev/null || true
	rm -f "$dir/run/$name.pid"
}

# healthy URL-PORT [--ready]: asks /healthz (or /readyz) with the
# classhub binary itself, which needs nothing else installed; NATS's
# monitoring answers /healthz too, once its JetStream is current.
healthy() {
	"$dir/bin/classhub" health --addr "$host:$1" --timeout 2s "${@:2}" >/dev/null 2>&1
}

wait_for() {
	local what="$1" secs="$2" i
	shift 2
	for i in $(seq $((secs * 10))); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	say "$what is not up after ${secs}s; see $dir/log/"
	return 1
}

build() {
	mkdir -p "$dir/bin"
	say "building nats-server and classhub into $dir/bin"
	(
		cd "$repo"
		go build -o "$dir/bin/nats-server" github.com/nats-io/nats-server/v2
		go build -o "$dir/bin/classhub" ./cmd/classhub
	)
}

need_haproxy() {
	command -v haproxy >/dev/null && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		say "HAProxy is missing: install it (apt-get install haproxy), or run this as root on Debian"
		exit 1
	fi
	say "installing HAProxy"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends haproxy >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends haproxy >/dev/null; }
}

start_nats() {
	local i="$1" routes=() j
	[ -z "$(pid_of "nats-$i")" ] || return 0
	for j in 1 2 3; do routes+=("nats://$host:$(route_port "$j")"); done
	mkdir -p "$dir/data/nats-$i"
	spawn "nats-$i" "$dir/bin/nats-server" \
		--name "nats-$i" --addr "$host" --port "$(nats_port "$i")" --http_port "$(mon_port "$i")" \
		--jetstream --store_dir "$dir/data/nats-$i" \
		--cluster_name classhub --cluster "nats://$host:$(route_port "$i")" \
		--routes "$(
			IFS=,
			echo "${routes[*]}"
		)"
}

start_node() {
	local i="$1"
	[ -z "$(pid_of "node-$i")" ] || return 0
	spawn "node-$i" "$dir/bin/classhub" serve \
		--node "node-$i" --data "$dir/data/node-$i" \
		--addr "$host:$(node_port "$i")" --admin-addr "$host:$(admin_port "$i")" \
		--nats "$(nats_urls)" --replicas 3 \
		--trust-proxy --join-burst 20000 --join-rate 1000
}

start_lb() {
	[ -z "$(pid_of lb)" ] || return 0
	local cfg="$dir/haproxy.cfg" i fds maxconn=40000
	# Two files per connection (the device's, the node's): stay within
	# what this machine allows a process.
	fds="$(ulimit -Hn)"
	if [ "$fds" != unlimited ] && [ $(((fds - 200) / 2)) -lt "$maxconn" ]; then
		maxconn=$(((fds - 200) / 2))
	fi
	{
		cat <<EOF
# Written by deploy/local-cluster.sh: deploy/haproxy.cfg on loopback.
global
    maxconn $maxconn
defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout tunnel 60s
    timeout client-fin 5s
frontend www
    bind $host:$lb_port
    default_backend classhub
backend classhub
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 2
EOF
		for i in $(seq "$nodes"); do
			echo "    server node-$i $host:$(node_port "$i")"
		done
	} >"$cfg"
	haproxy -c -q -f "$cfg"
	spawn lb haproxy -W -db -f "$cfg"
}

down() {
	local i
	stop lb TERM
	# The nodes first, with SIGTERM: rooms snapshot and give their leases
	# back while NATS still runs.
	for i in 3 2 1; do stop "node-$i" TERM; done
	for i in 3 2 1; do stop "nats-$i" TERM; done
}

urls() {
	local i
	cat <<EOF

classhub district on loopback ($nodes nodes, 3 NATS servers, JetStream replicas 3)
  load balancer     http://$host:$lb_port/   (teachers: http://$host:$lb_port/teacher)
EOF
	for i in $(seq "$nodes"); do
		echo "  node-$i            http://$host:$(node_port "$i")/   metrics http://$host:$(admin_port "$i")/metrics   log $dir/log/node-$i.log"
	done
	for i in 1 2 3; do
		echo "  nats-$i            nats://$host:$(nats_port "$i")   monitoring http://$host:$(mon_port "$i")/   log $dir/log/nats-$i.log"
	done
	cat <<EOF
  first teacher     $0 teacher you@school.example "Your Name"
  data              $dir/data (kept by down; removed by clean)
EOF
}

up() {
	local detach=0 i
	[ "${1:-}" = "-d" ] && detach=1
	if [ -n "$(pid_of lb)$(pid_of node-1)$(pid_of nats-1)" ]; then
		say "already up; see: $0 status"
		exit 1
	fi
	# Whatever fails on the way stops what was started; so do Ctrl-C, a
	# closed terminal and SIGTERM, and a second one does not cut the
	# stopping short.
	trap 'trap "" INT TERM HUP; say "stopping"; [ -z "${sleeper:-}" ] || kill "$sleeper" 2>/dev/null; down' EXIT
	trap 'exit 130' INT TERM HUP
	need_haproxy
	build
	for i in 1 2 3; do start_nats "$i"; done
	for i in 1 2 3; do wait_for "nats-$i" 60 healthy "$(mon_port "$i")"; done
	for i in $(seq "$nodes"); do start_node "$i"; done
	for i in $(seq "$nodes"); do wait_for "node-$i" 120 healthy "$(node_port "$i")" --ready; done
	start_lb
	wait_for "the load balancer" 30 healthy "$lb_port" --ready
	urls
	if [ "$detach" = 1 ]; then
		trap - EXIT INT TERM HUP
		echo "  stop it with      $0 down"
		return 0
	fi
	echo "  Ctrl-C stops everything."
	# Wait for Ctrl-C; the EXIT trap stops everything. A process that dies
	# meanwhile (kill-node from another terminal) is not a reason to stop.
	while :; do
		sleep 3600 &
		sleeper=$!
		wait "$sleeper" || true
	done
}

status() {
	local name pid port state i
	printf '%-8s %-8s %-30s %s\n' process pid address state
	for i in 1 2 3; do
		name="nats-$i" pid="$(pid_of "$name")" port="$(nats_port "$i")" state=down
		[ -n "$pid" ] && { state=running; healthy "$(mon_port "$i")" && state="healthy (JetStream current)"; }
		printf '%-8s %-8s %-30s %s\n' "$name" "${pid:--}" "nats://$host:$port" "$state"
	done
	for i in $(seq "$nodes"); do
		name="node-$i" pid="$(pid_of "$name")" port="$(node_port "$i")" state=down
		[ -n "$pid" ] && { state="running, not ready"; healthy "$port" --ready && state=ready; }
		printf '%-8s %-8s %-30s %s\n' "$name" "${pid:--}" "http://$host:$port" "$state"
	done
	name=lb pid="$(pid_of lb)" state=down
	[ -n "$pid" ] && { state="running, no node ready"; healthy "$lb_port" --ready && state="passing to a ready node"; }
	printf '%-8s %-8s %-30s %s\n' lb "${pid:--}" "http://$host:$lb_port" "$state"
}

index() {
	case "${1:-}" in 1 | 2 | 3) ;; *)
		say "say which: 1, 2 or 3"
		exit 2
		;;
	esac
}

cmd="${1:-}"
shift || true
case "$cmd" in
up) up "$@" ;;
down) down ;;
clean)
	down
	rm -rf "$dir"
	;;
status) status ;;
teacher)
	[ $# -eq 2 ] || {
		say "usage: $0 teacher EMAIL NAME"
		exit 2
	}
	"$dir/bin/classhub" teacher add --nats "$(nats_urls)" --replicas 3 --email "$1" --name "$2"
	;;
kill-node)
	index "${1:-}"
	stop "node-$1" KILL
	;;
stop-node)
	index "${1:-}"
	stop "node-$1" TERM
	;;
start-node)
	index "${1:-}"
	start_node "$1"
	wait_for "node-$1" 120 healthy "$(node_port "$1")" --ready
	;;
kill-nats)
	index "${1:-}"
	stop "nats-$1" KILL
	;;
start-nats)
	index "${1:-}"
	start_nats "$1"
	wait_for "nats-$1" 60 healthy "$(mon_port "$1")"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	[ -z "$cmd" ] || exit 2
	;;
esac
