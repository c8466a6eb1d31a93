#!/usr/bin/env bash
# Fails when git tracks a build output: an executable binary (ELF, PE,
# Mach-O) anywhere, or any file over 2 MiB outside testdata/, where the
# captures live. A file that must be kept anyway is named in ALLOWED with
# the reason beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

LIMIT=$((2 * 1024 * 1024))
# path   # why it may stay
ALLOWED=(
)

allowed() {
	local a
	for a in "${ALLOWED[@]+"${ALLOWED[@]}"}"; do [ "$a" = "$1" ] && return 0; done
	return 1
}

bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue # deleted in the work tree, or a submodule
	allowed "$f" && continue
	magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46) kind="an ELF executable" ;;
	4d5a*) kind="a PE (Windows) executable" ;;
	feedface | feedfacf | cefaedfe | cffaedfe) kind="a Mach-O executable" ;;
	*) kind="" ;;
	esac
	if [ -n "$kind" ]; then
		echo "tracked file $f is $kind: build outputs belong in .gitignore, not in git" >&2
		bad=1
		continue
	fi
	case "$f" in testdata/*) continue ;; esac
	size=$(stat -c %s "$f")
	if [ "$size" -gt "$LIMIT" ]; then
		echo "tracked file $f is $size bytes, over the 2 MiB limit outside testdata/ (name it in ALLOWED in $0 if it must stay)" >&2
		bad=1
	fi
done < <(git ls-files -z)
[ "$bad" = 0 ] && echo "tracked files: no executable binary, nothing over 2 MiB outside testdata/"
exit "$bad"
