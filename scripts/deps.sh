#!/usr/bin/env bash
# Checks and installs the Debian packages that flowverify's build, tests and
# lab need, from the one list in scripts/deps.txt.
#
#   scripts/deps.sh check GROUP...     # exit 1 and name each missing command and its package
#   scripts/deps.sh install GROUP...   # apt-get what is missing, then check again
#   scripts/deps.sh packages GROUP...  # the packages a group needs, one a line
#
# GROUP is build, test, lab, bench or wine (scripts/deps.txt says which command is whose).
set -euo pipefail

LIST=${DEPS_LIST:-$(dirname "$0")/deps.txt}

# entries GROUP...: "command package location" for the named groups.
entries() {
	local want=" $* "
	while read -r group cmd pkg where _; do
		case "$group" in '' | '#'*) continue ;; esac
		[[ $want == *" $group "* ]] || continue
		printf '%s %s %s\n' "$cmd" "$pkg" "${where:-}"
	done <"$LIST"
}

present() { # present COMMAND LOCATION
	local cmd=$1 where=$2 f
	if [ -z "$where" ]; then
		command -v "$cmd" >/dev/null 2>&1
		return
	fi
	for f in $where; do [ -e "$f" ] && return 0; done
	return 1
}

# missing GROUP...: "command package" for each entry not on this machine.
missing() {
	local cmd pkg where
	while read -r cmd pkg where; do
		present "$cmd" "$where" || printf '%s %s\n' "$cmd" "$pkg"
	done < <(entries "$@")
}

check() {
	local out
	out=$(missing "$@")
	[ -z "$out" ] && return 0
	while read -r cmd pkg; do
		printf 'missing: %s (Debian package %s; scripts/deps.sh install %s installs it)\n' "$cmd" "$pkg" "$*" >&2
	done <<<"$out"
	return 1
}

install() {
	local out pkgs sudo=""
	out=$(missing "$@")
	[ -z "$out" ] && return 0
	pkgs=$(cut -d' ' -f2 <<<"$out" | sort -u | tr '\n' ' ')
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing ${pkgs}(for $(cut -d' ' -f1 <<<"$out" | tr '\n' ' ' | sed 's/ $//'))" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# Debian starts a server's service when it is installed; the lab runs its
	# own instances in namespaces, so installing must start none.
	local policy=/usr/sbin/policy-rc.d made=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
		$sudo chmod +x "$policy"
		made=1
	fi
	# shellcheck disable=SC2086 # one word a package
	if ! $sudo apt-get install -y -qq $pkgs >/dev/null; then
		[ -z "$made" ] || $sudo rm -f "$policy"
		echo "apt-get install $pkgs failed" >&2
		return 1
	fi
	[ -z "$made" ] || $sudo rm -f "$policy"
	check "$@"
}

packages() { entries "$@" | cut -d' ' -f2 | sort -u; }

cmd=${1:-}
shift || true
[ $# -gt 0 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
case "$cmd" in
check | install | packages) "$cmd" "$@" ;;
*) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
