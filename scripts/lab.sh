#!/usr/bin/env bash
# A Threat Manager site in network namespaces, with real servers from
# Debian packages, for end-to-end tests and for recording real captures.
#
#   scripts/lab.sh install          # apt-get the servers and tools (scripts/deps.txt, group lab)
#   scripts/lab.sh check            # exit 1 naming each missing command and its package
#   scripts/lab.sh up               # namespaces, addresses, servers, firewall
#   scripts/lab.sh traffic          # one round of client traffic
#   scripts/lab.sh record FILE SEC  # tcpdump on the server's interface while traffic runs
#   scripts/lab.sh record-dual FILE SEC # the same with the dual-stack round (traffic-dual)
#   scripts/lab.sh traffic-dual     # a round where agents, kinit and LDAP use IPv6, the rest IPv4
#   scripts/lab.sh down             # stop everything, remove the namespaces
#   scripts/lab.sh record-icmp FILE # two hosts pinging over IPv4 and IPv6 (echo, neighbour discovery)
#   scripts/lab.sh record-nflog FILE # the same hosts captured through netfilter logging (NFLOG)
#   scripts/lab.sh record-shape NAME FILE # one shape of traffic alone, captured on tm (see shapes)
#   scripts/lab.sh shapes           # the names record-shape knows, one a line
#
# LAB_ID (1-6 lower-case letters or digits, default "0") names one lab:
# its namespaces are fv<ID>-<host>, its veth ends fv<ID>v<N>, its files in
# /tmp/fvlab-<ID>; labs with different ids run side by side, and down
# removes only its own. tm's namespace is fv<ID>-tm.
#
# Hosts (10.99.0.0/24 and fd00:99::/64, all joined by a bridge in a switch
# namespace; every host has both families, fd00:99::N beside 10.99.0.N):
#   tm      .10  the Threat Manager server: RabbitMQ on 10001 (AMQP), HTTP on 8080,
#                a syslog sink on udp/10000; flowverify captures here
#   dc      .21  domain controller: slapd on 389, MIT krb5-kdc on tcp/88 and udp/88; nftables
#                drops tcp/9389 (AD Web Services), so that row must read "blocked"
#   dc2     .22  a Samba AD domain controller: its RPC endpoint mapper on 135 hands
#                out the dynamic DRSUAPI port (samba-tool drs showrepl asks for it);
#                SMB on 445, its own DNS on 53, the global catalog on 3268, CLDAP
#   agent   .31  agent host: logger -> udp/10000, amqp-publish -> tcp/10001
#   db      .41  PostgreSQL on 5435
#   console .50  a browser: curl -> tm:8080
#   action  .70  Action Service host: HTTP on 8080
#
# Everything stays inside namespaces this script creates; nothing touches
# the host's interfaces or any address outside 10.99.0.0/24 and fd00:99::/64.
set -euo pipefail

ID=${LAB_ID:-0}
[[ $ID =~ ^[a-z0-9]{1,6}$ ]] || { echo "LAB_ID must be 1-6 lower-case letters or digits, not '$ID'" >&2; exit 2; }
P=fv$ID
DIR=${LAB_DIR:-/tmp/fvlab-$ID}
NET=10.99.0
NET6=fd00:99:
declare -A IP=([tm]=10 [dc]=21 [dc2]=22 [agent]=31 [db]=41 [console]=50 [action]=70)
HOSTS="tm dc dc2 agent db console action"
REALM=CORP.EXAMPLE

ns() { local h=$1; shift; ip netns exec "$P-$h" "$@"; }
have_ns() { ip netns list 2>/dev/null | cut -d' ' -f1 | grep -qxF "$1"; }
log() { printf '[lab] %s\n' "$*" >&2; }

need_root() { [ "$(id -u)" = 0 ] || { echo "lab.sh must run as root (network namespaces)" >&2; exit 77; }; }

can_netns() {
	ip netns add "$P-probe" 2>/dev/null || return 1
	ip netns del "$P-probe"
}

DEPS=$(dirname "$0")/deps.sh
install() {
	need_root
	"$DEPS" install lab
}
check() { "$DEPS" check lab; }

pgbin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

wait_port() { # wait_port HOST PROTO PORT SECONDS
	local h=$1 proto=$2 port=$3 n=$(($4 * 10))
	for _ in $(seq "$n"); do
		if ns "$h" ss -Hln"${proto:0:1}" "sport = :$port" | grep -q .; then return 0; fi
		sleep 0.1
	done
	log "$h: nothing listens on $proto/$port"; return 1
}

up() {
	need_root
	can_netns || { echo "network namespaces are not permitted here" >&2; exit 77; }
	down quiet
	mkdir -p "$DIR"
	ip netns add "$P-sw"
	ns sw ip link add br0 type bridge
	ns sw ip link set br0 up
	ns sw ip link set lo up
	local n=0 veth
	for h in $HOSTS; do
		# An interface name has at most 15 bytes: the switch's end is
		# numbered, not named after its host.
		n=$((n + 1)) veth=${P}v$n
		ip netns add "$P-$h"
		ip link add "$veth" type veth peer name e0 netns "$P-$h"
		ip link set "$veth" netns "$P-sw"
		ns sw ip link set "$veth" master br0 up
		ns "$h" ip addr add "$NET.${IP[$h]}/24" dev e0
		# Duplicate address detection would hold the address back for a
		# second or two; resolution still runs genuine neighbour discovery.
		ns "$h" ip -6 addr add "$NET6:${IP[$h]}/64" dev e0 nodad
		ns "$h" ip link set e0 up
		ns "$h" ip link set lo up
	done
	start_dc
	start_dc2
	start_db
	start_tm
	ns action python3 -m http.server 8080 --bind "$NET.${IP[action]}" --directory "$DIR" >"$DIR/action-http.log" 2>&1 &
	wait_port dc tcp 389 15
	wait_port dc tcp 88 15
	wait_port dc2 tcp 135 60
	wait_port db tcp 5435 30
	wait_port action tcp 8080 10
	wait_port tm tcp 8080 10
	wait_port tm udp 10000 10
	wait_port tm tcp 10001 90
	log "lab is up"
}

start_dc() {
	# slapd with its own configuration and database.
	mkdir -p "$DIR/ldap/db"
	cat >"$DIR/ldap/slapd.conf" <<-EOF
	include /etc/ldap/schema/core.schema
	include /etc/ldap/schema/cosine.schema
	include /etc/ldap/schema/inetorgperson.schema
	pidfile $DIR/ldap/slapd.pid
	modulepath /usr/lib/ldap
	moduleload back_mdb
	database mdb
	suffix "dc=corp,dc=example"
	rootdn "cn=admin,dc=corp,dc=example"
	rootpw lab-admin-password
	directory $DIR/ldap/db
	EOF
	cat >"$DIR/ldap/base.ldif" <<-EOF
	dn: dc=corp,dc=example
	objectClass: dcObject
	objectClass: organization
	o: corp
	dc: corp

	dn: cn=svc-threatmanager,dc=corp,dc=example
	objectClass: inetOrgPerson
	cn: svc-threatmanager
	sn: threatmanager
	userPassword: lab-user-password
	EOF
	slapadd -f "$DIR/ldap/slapd.conf" -l "$DIR/ldap/base.ldif" >/dev/null 2>&1
	ns dc slapd -f "$DIR/ldap/slapd.conf" -h "ldap://$NET.${IP[dc]}:389/ ldap://[$NET6:${IP[dc]}]:389/"

	# MIT Kerberos KDC, TCP and UDP on 88, with the lab's own files.
	mkdir -p "$DIR/krb5"
	cat >"$DIR/krb5/krb5.conf" <<-EOF
	[libdefaults]
	    default_realm = $REALM
	    udp_preference_limit = 1
	    dns_lookup_kdc = false
	    dns_lookup_realm = false
	[realms]
	    $REALM = {
	        kdc = $NET.${IP[dc]}:88
	    }
	EOF
	# The same realm reached over IPv6, for the dual-stack round.
	sed "s/kdc = .*/kdc = [$NET6:${IP[dc]}]:88/" "$DIR/krb5/krb5.conf" >"$DIR/krb5/krb5-v6.conf"
	cat >"$DIR/krb5/kdc.conf" <<-EOF
	[kdcdefaults]
	    kdc_ports = 88
	    kdc_tcp_ports = 88
	[realms]
	    $REALM = {
	        database_name = $DIR/krb5/principal
	        key_stash_file = $DIR/krb5/stash
	        acl_file = $DIR/krb5/kadm5.acl
	    }
	[logging]
	    kdc = FILE:$DIR/krb5/kdc.log
	EOF
	export KRB5_CONFIG="$DIR/krb5/krb5.conf" KRB5_KDC_PROFILE="$DIR/krb5/kdc.conf"
	kdb5_util create -s -r "$REALM" -P lab-master-password >/dev/null 2>&1
	kadmin.local -q "addprinc -pw lab-krb-password svc-threatmanager" >/dev/null 2>&1
	ns dc env KRB5_CONFIG="$KRB5_CONFIG" KRB5_KDC_PROFILE="$KRB5_KDC_PROFILE" krb5kdc -P "$DIR/krb5/kdc.pid"

	# A firewall on the domain controller drops AD Web Services silently.
	ns dc nft -f - <<-EOF
	table inet fv$ID {
	    chain input {
	        type filter hook input priority 0; policy accept;
	        tcp dport 9389 drop
	    }
	}
	EOF
}

start_dc2() {
	# Every path of this Samba lies in the lab's directory (the defaults,
	# /run/samba and /var/lib/samba, would be shared with another lab).
	mkdir -p "$DIR/samba/run"
	samba-tool domain provision --realm=SAMBA.EXAMPLE --domain=SAMBA --server-role=dc --dns-backend=SAMBA_INTERNAL \
		--adminpass='Lab-Passw0rd!' --targetdir="$DIR/samba" --host-ip="$NET.${IP[dc2]}" \
		--option="interfaces=$NET.${IP[dc2]}" --option="bind interfaces only=yes" \
		--option="pid directory=$DIR/samba/run" --option="ncalrpc dir=$DIR/samba/run/ncalrpc" \
		--option="winbindd socket directory=$DIR/samba/run/winbindd" \
		--option="ntp signd socket directory=$DIR/samba/ntp_signd" \
		--option="log file=$DIR/samba/log.%m" >"$DIR/samba/provision.log" 2>&1
	ns dc2 samba -s "$DIR/samba/etc/smb.conf" -i -M single >"$DIR/samba/samba.log" 2>&1 &
	printf '[libdefaults]\n    default_realm = SAMBA.EXAMPLE\n    udp_preference_limit = 1\n    dns_lookup_kdc = false\n[realms]\n    SAMBA.EXAMPLE = {\n        kdc = %s:88\n    }\n' \
		"$NET.${IP[dc2]}" >"$DIR/samba/krb5-lab.conf"
}

start_db() {
	local bin
	bin=$(pgbin)
	mkdir -p "$DIR/pg"
	chown postgres "$DIR/pg"
	su postgres -c "$bin/initdb -D $DIR/pg/data -A trust -U postgres" >/dev/null
	echo "host all all $NET.0/24 trust" >>"$DIR/pg/data/pg_hba.conf"
	ns db su postgres -c "$bin/postgres -D $DIR/pg/data -p 5435 -c listen_addresses='$NET.${IP[db]}' -k $DIR/pg" >"$DIR/pg/log" 2>&1 &
}

start_tm() {
	# "::" is a dual-stack socket: the console reaches it over either family.
	ns tm python3 -m http.server 8080 --bind :: --directory "$DIR" >"$DIR/tm-http.log" 2>&1 &
	ns tm python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 10000))
while True:
    s.recv(65535)
' >/dev/null 2>&1 &
	mkdir -p "$DIR/rabbitmq/mnesia" "$DIR/rabbitmq/log"
	chown -R rabbitmq "$DIR/rabbitmq"
	printf 'loopback_users = none\nlisteners.tcp.default = 10001\n' >"$DIR/rabbitmq/rabbitmq.conf"
	ns tm env HOME="$DIR/rabbitmq" RABBITMQ_CONFIG_FILE="$DIR/rabbitmq/rabbitmq.conf" RABBITMQ_MNESIA_BASE="$DIR/rabbitmq/mnesia" \
		RABBITMQ_LOG_BASE="$DIR/rabbitmq/log" RABBITMQ_NODENAME="rabbit@localhost" RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/rabbitmq/plugins" \
		rabbitmq-server >"$DIR/rabbitmq/out.log" 2>&1 &
}

traffic() {
	export KRB5_CONFIG="$DIR/krb5/krb5.conf"
	local tm=$NET.${IP[tm]} dc=$NET.${IP[dc]}
	# agents -> server
	ns agent logger --udp -n "$tm" -P 10000 -t StealthAUDIT "lab syslog message from the agent"
	ns agent amqp-publish --url "amqp://guest:guest@$tm:10001" -r fvlab -b 'lab event' || log "amqp-publish failed"
	# server -> domain controller
	ns tm env KRB5_CONFIG="$KRB5_CONFIG" KRB5CCNAME="$DIR/krb5/cc" kinit svc-threatmanager <<<"lab-krb-password" >/dev/null || log "kinit failed"
	ns tm ldapsearch -x -H "ldap://$dc" -D "cn=svc-threatmanager,dc=corp,dc=example" -w lab-user-password \
		-b dc=corp,dc=example '(objectClass=*)' dn >/dev/null || log "ldapsearch failed"
	ns tm ldapsearch -x -ZZ -H "ldap://$dc" -b dc=corp,dc=example >/dev/null 2>&1 || true # StartTLS refused: no certificate
	ns tm timeout 4 bash -c "exec 3<>/dev/tcp/$dc/9389" 2>/dev/null || true               # dropped by the DC's firewall
	# server -> database, action service
	ns tm psql -h "$NET.${IP[db]}" -p 5435 -U postgres -c 'select 1' >/dev/null || log "psql failed"
	ns tm curl -s -o /dev/null "http://$NET.${IP[action]}:8080/" || log "curl action failed"
	# console -> server
	ns console curl -s -o /dev/null "http://$tm:8080/" || log "curl console failed"
	# the endpoint mapper hands out DRSUAPI's dynamic port, which samba-tool then uses
	ns tm timeout 60 samba-tool drs showrepl "$NET.${IP[dc2]}" -U'SAMBA\Administrator%Lab-Passw0rd!' >/dev/null 2>&1 || log "samba-tool drs showrepl failed"
	# unexpected: LDAP to the global catalog port (refused: nothing listens there)
	ns tm timeout 3 bash -c "exec 3<>/dev/tcp/$dc/3268" 2>/dev/null || true
}

# traffic_dual: the round a dual-stack Windows site makes. The agent's
# syslog and AMQP, kinit and LDAP reach the server and the first DC over
# IPv6 (Windows prefers it when both exist); the console, the database,
# the Action Service, the Samba DC and the dropped 9389 stay on IPv4.
traffic_dual() {
	local tm6=$NET6:${IP[tm]} dc6=$NET6:${IP[dc]} tm=$NET.${IP[tm]} dc=$NET.${IP[dc]}
	ns agent logger --udp -n "$tm6" -P 10000 -t StealthAUDIT "lab syslog message from the agent over IPv6"
	ns agent amqp-publish --url "amqp://guest:guest@[$tm6]:10001" -r fvlab -b 'lab event over IPv6' || log "amqp-publish over IPv6 failed"
	ns tm env KRB5_CONFIG="$DIR/krb5/krb5-v6.conf" KRB5CCNAME="$DIR/krb5/cc6" kinit svc-threatmanager <<<"lab-krb-password" >/dev/null || log "kinit over IPv6 failed"
	ns tm ldapsearch -x -H "ldap://[$dc6]" -D "cn=svc-threatmanager,dc=corp,dc=example" -w lab-user-password \
		-b dc=corp,dc=example '(objectClass=*)' dn >/dev/null || log "ldapsearch over IPv6 failed"
	ns tm timeout 4 bash -c "exec 3<>/dev/tcp/$dc/9389" 2>/dev/null || true # dropped by the DC's firewall
	ns tm psql -h "$NET.${IP[db]}" -p 5435 -U postgres -c 'select 1' >/dev/null || log "psql failed"
	ns tm curl -s -o /dev/null "http://$NET.${IP[action]}:8080/" || log "curl action failed"
	ns console curl -s -o /dev/null "http://$tm:8080/" || log "curl console failed"
	ns tm timeout 60 samba-tool drs showrepl "$NET.${IP[dc2]}" -U'SAMBA\Administrator%Lab-Passw0rd!' >/dev/null 2>&1 || log "samba-tool drs showrepl failed"
	ns tm env KRB5_CONFIG="$DIR/samba/krb5-lab.conf" KRB5CCNAME="$DIR/samba/cc" kinit Administrator <<<'Lab-Passw0rd!' >/dev/null || log "kinit against the Samba DC failed"
}

record() {
	local out=$1 secs=${2:-12} round=${3:-ipv4}
	capture_start tm e0 "$out"
	if [ "$round" = dual ]; then traffic_dual; else traffic; fi
	sleep "$secs"
	capture_stop
	log "recorded $out"
}

# capture_start HOST DEV FILE: tcpdump on HOST's DEV into FILE, a second
# to start; capture_stop ends it. ip netns exec runs in the background
# itself, not through ns: a function sent to the background is a subshell,
# and killing that would leave tcpdump writing.
capture_start() {
	ip netns exec "$P-$1" tcpdump -i "$2" -U -s 0 -w "$3" >/dev/null 2>&1 &
	CAPTURE=$!
	sleep 1
}
capture_stop() {
	kill "$CAPTURE"
	wait "$CAPTURE" 2>/dev/null || true
}

# pair_up: two namespaces of their own on one veth, dual-stack
# (10.99.1.1 and .2/24, fd00:99:1::1 and ::2/64); pair_down removes them.
pair_up() {
	need_root
	A=$P-pa B=$P-pb
	ip netns add "$A"
	ip netns add "$B"
	ip link add "${P}pa" netns "$A" type veth peer name "${P}pb" netns "$B"
	ip -n "$A" addr add 10.99.1.1/24 dev "${P}pa"
	ip -n "$B" addr add 10.99.1.2/24 dev "${P}pb"
	ip -n "$A" -6 addr add fd00:99:1::1/64 dev "${P}pa" nodad
	ip -n "$B" -6 addr add fd00:99:1::2/64 dev "${P}pb" nodad
	ip -n "$A" link set lo up
	ip -n "$A" link set "${P}pa" up
	ip -n "$B" link set "${P}pb" up
}

pair_down() {
	ip netns del "$A"
	ip netns del "$B"
}

# record_icmp FILE: the kernel's ping over IPv4 and IPv6 between the
# pair, captured on the first host; IPv6 brings genuine neighbour
# discovery.
record_icmp() {
	local out=$1
	pair_up
	ip netns exec "$A" tcpdump -i "${P}pa" -U -s 0 -w "$out" >/dev/null 2>&1 &
	local pid=$!
	sleep 1
	ip netns exec "$A" ping -c 2 -i 0.2 10.99.1.2 >/dev/null
	ip netns exec "$A" ping -6 -c 2 -i 0.2 fd00:99:1::2 >/dev/null
	sleep 1
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pair_down
	log "recorded $out"
}

# record_nflog FILE: the first host logs every packet it sends or
# receives to netfilter log group 5, and tcpdump reads the group
# (LINKTYPE_NFLOG): a refused connection to 9389, a ping to the other
# host and one to itself over loopback.
record_nflog() {
	local out=$1
	pair_up
	ip netns exec "$A" iptables -A OUTPUT -j NFLOG --nflog-group 5
	ip netns exec "$A" iptables -A INPUT -j NFLOG --nflog-group 5
	ip netns exec "$A" tcpdump -i nflog:5 -U -s 0 -w "$out" >/dev/null 2>&1 &
	local pid=$!
	sleep 1
	ip netns exec "$A" timeout 3 bash -c "exec 3<>/dev/tcp/10.99.1.2/9389" 2>/dev/null || true
	ip netns exec "$A" ping -c 2 -i 0.2 10.99.1.2 >/dev/null
	ip netns exec "$A" ping -c 1 127.0.0.1 >/dev/null
	sleep 1
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pair_down
	log "recorded $out"
}

# The shapes: each a small round of one kind of traffic alone, captured
# where the field captures it (tm's e0; loopback on tm's lo; the scan on
# the scanned DC), for testing what flowverify infers from each without
# being told the server. Servers a shape needs beyond those of up start
# before its capture (shape_prepare), so their start-up is not in it.
SHAPES="console-action-8080 postgres-5435 postgres-5439 kerberos-udp88 ldaps-636 dc-talk syslog-tcp-pg-dns loopback nmap-scan nmap-scan-tm"

# pg_extra HOST PORT ADDRESS: one more PostgreSQL cluster, on HOST at
# ADDRESS:PORT (a cluster listens on one port; the shapes need 5432 and
# 5439 beside the lab's 5435).
pg_extra() {
	local h=$1 port=$2 addr=$3 bin data=$DIR/pg-$1-$2
	ns "$h" ss -Hlnt "sport = :$port" | grep -q . && return 0
	bin=$(pgbin)
	mkdir -p "$data"
	chown postgres "$data"
	su postgres -c "$bin/initdb -D $data/data -A trust -U postgres" >/dev/null
	echo "host all all $NET.0/24 trust" >>"$data/data/pg_hba.conf"
	ns "$h" su postgres -c "$bin/postgres -D $data/data -p $port -c listen_addresses='$addr' -k $data" >"$data/log" 2>&1 &
	wait_port "$h" tcp "$port" 30
}

# ldaps_up: a second slapd on dc, LDAPS alone on 636 with a self-signed
# certificate (the lab's first slapd has none, so its StartTLS is refused).
ldaps_up() {
	local d=$DIR/ldaps
	ns dc ss -Hlnt "sport = :636" | grep -q . && return 0
	mkdir -p "$d/db"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dc.corp.example" \
		-keyout "$d/key.pem" -out "$d/cert.pem" >/dev/null 2>&1
	sed -e "s|$DIR/ldap/|$d/|g" "$DIR/ldap/slapd.conf" >"$d/slapd.conf"
	printf 'TLSCertificateFile %s\nTLSCertificateKeyFile %s\n' "$d/cert.pem" "$d/key.pem" >>"$d/slapd.conf"
	slapadd -f "$d/slapd.conf" -l "$DIR/ldap/base.ldif" >/dev/null 2>&1
	ns dc slapd -f "$d/slapd.conf" -h "ldaps://$NET.${IP[dc]}:636/"
	wait_port dc tcp 636 15
}

# syslog_tcp_up: a TCP syslog sink on tm's 10000 (the lab's sink is UDP).
syslog_tcp_up() {
	ns tm ss -Hlnt "sport = :10000" | grep -q . && return 0
	ns tm python3 -c '
import socketserver
class Sink(socketserver.StreamRequestHandler):
    def handle(self):
        while self.rfile.read(65536):
            pass
socketserver.ThreadingTCPServer(("0.0.0.0", 10000), Sink).serve_forever()
' >/dev/null 2>&1 &
	wait_port tm tcp 10000 10
}

shape_prepare() {
	case $1 in
	postgres-5439) pg_extra db 5439 "$NET.${IP[db]}" ;;
	# the scan finds the same three open ports (88, 389, 636) whichever shape ran first
	ldaps-636 | nmap-scan) ldaps_up ;;
	syslog-tcp-pg-dns) syslog_tcp_up && pg_extra db 5432 "$NET.${IP[db]}" ;;
	loopback) pg_extra tm 5432 127.0.0.1 ;;
	esac
	# the udp_preference_limit of the lab's krb5.conf (1) forces TCP
	sed 's/udp_preference_limit = 1$/udp_preference_limit = 32700/' "$DIR/krb5/krb5.conf" >"$DIR/krb5/krb5-udp.conf"
	# a client configuration for net and smbclient: the domain, nothing else
	printf '[global]\n    workgroup = SAMBA\n    realm = SAMBA.EXAMPLE\n    client min protocol = SMB2\n' >"$DIR/samba/client.conf"
}

# shape NAME: the traffic of one shape.
shape() {
	local tm=$NET.${IP[tm]} dc=$NET.${IP[dc]} dc2=$NET.${IP[dc2]} db=$NET.${IP[db]}
	case $1 in
	console-action-8080)
		ns console curl -s -o /dev/null "http://$tm:8080/" || log "curl console failed"
		ns tm curl -s -o /dev/null "http://$NET.${IP[action]}:8080/" || log "curl action failed" ;;
	postgres-5435) ns tm psql -h "$db" -p 5435 -U postgres -c 'select 1' >/dev/null || log "psql failed" ;;
	postgres-5439) ns tm psql -h "$db" -p 5439 -U postgres -c 'select 1' >/dev/null || log "psql failed" ;;
	kerberos-udp88)
		ns tm env KRB5_CONFIG="$DIR/krb5/krb5-udp.conf" KRB5CCNAME="$DIR/krb5/cc-udp" kinit svc-threatmanager <<<"lab-krb-password" >/dev/null || log "kinit failed" ;;
	ldaps-636)
		ns tm env LDAPTLS_REQCERT=never ldapsearch -x -H "ldaps://$dc" -D "cn=svc-threatmanager,dc=corp,dc=example" -w lab-user-password \
			-b dc=corp,dc=example '(objectClass=*)' dn >/dev/null || log "ldapsearch over LDAPS failed" ;;
	dc-talk) shape_dc_talk ;;
	syslog-tcp-pg-dns)
		ns agent logger --tcp -n "$tm" -P 10000 -t StealthAUDIT "lab syslog message from the agent over TCP" || log "logger --tcp failed"
		ns tm dig +time=2 +tries=1 @"$dc2" db.samba.example A >/dev/null || log "dig failed"
		ns tm psql -h "$db" -p 5432 -U postgres -c 'select 1' >/dev/null || log "psql failed" ;;
	loopback)
		ns tm logger --udp -n 127.0.0.1 -P 10000 -t StealthAUDIT "lab syslog message over loopback"
		ns tm psql -h 127.0.0.1 -p 5432 -U postgres -c 'select 1' >/dev/null || log "psql failed"
		ns tm curl -s -o /dev/null "http://127.0.0.1:8080/" || log "curl failed" ;;
	nmap-scan) ns agent nmap -sS -n -T4 -p 1-1000 "$dc" >"$DIR/nmap.log" 2>&1 || log "nmap failed" ;;
	# the server itself swept, with the ports it serves (8080, 10001) among the thousand
	nmap-scan-tm) ns agent nmap -sS -n -T4 -p 1-998,8080,10001 "$tm" >"$DIR/nmap-tm.log" 2>&1 || log "nmap failed" ;;
	*) echo "no shape '$1'; lab.sh shapes names them" >&2; return 2 ;;
	esac
}

# shape_dc_talk: what the server says to a DC besides Kerberos and LDAP:
# the DC's DNS for its SRV records, CLDAP (net ads lookup), SMB
# (smbclient -L), and the global catalog's rootDSE on 3268.
shape_dc_talk() {
	local dc2=$NET.${IP[dc2]}
	ns tm dig +time=2 +tries=1 @"$dc2" _ldap._tcp.dc._msdcs.samba.example SRV >/dev/null || log "dig failed"
	ns tm net ads lookup -s "$DIR/samba/client.conf" -S "$dc2" >/dev/null 2>&1 || log "net ads lookup failed"
	# The namespaced DC's smbd completes negotiation and NTLMSSP, then ends
	# the session setup with NT_STATUS_INTERNAL_ERROR: the SMB exchange is
	# whole, the share list is not.
	ns tm smbclient -s "$DIR/samba/client.conf" -L "//$dc2" -U 'SAMBA\Administrator%Lab-Passw0rd!' >/dev/null 2>&1 || true
	ns tm ldapsearch -x -H "ldap://$dc2:3268" -b '' -s base '(objectClass=*)' >/dev/null || log "ldapsearch of the global catalog failed"
}

record_shape() { # record_shape NAME FILE
	local name=$1 out=$2 h=tm dev=e0
	case " $SHAPES " in *" $name "*) ;; *) echo "no shape '$name'; lab.sh shapes names them" >&2; exit 2 ;; esac
	case $name in loopback) dev=lo ;; nmap-scan) h=dc ;; esac
	shape_prepare "$name"
	capture_start "$h" "$dev" "$out"
	shape "$name"
	sleep 1
	capture_stop
	log "recorded $out ($name)"
}

down() {
	for h in $HOSTS sw; do
		if have_ns "$P-$h"; then
			for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
		fi
	done
	sleep 0.5
	for h in $HOSTS sw; do
		if have_ns "$P-$h"; then
			for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
			ip netns del "$P-$h" 2>/dev/null || true
		fi
	done
	[ "${1:-}" = quiet ] || log "lab is down"
	rm -rf "$DIR"
}

case "${1:-}" in
install) install ;;
check) check ;;
up) up ;;
traffic) traffic ;;
record) record "$2" "${3:-12}" ;;
record-dual) record "$2" "${3:-12}" dual ;;
traffic-dual) traffic_dual ;;
record-icmp) record_icmp "$2" ;;
record-nflog) record_nflog "$2" ;;
record-shape) record_shape "$2" "$3" ;;
shapes) printf '%s\n' $SHAPES ;;
down) down ;;
*) sed -n '2,38p' "$0"; exit 2 ;;
esac
