#!/bin/sh
# AppArmor 4.1's own apparmor_parser, for the ABI 4 round-trip test (test/parser41/): a minimal Debian
# trixie chroot (debootstrap --variant=minbase --include=apparmor) plus AppArmor 4.1's parser test
# profiles (parser/tst/simple_tests of Debian's apparmor_4.1.0.orig.tar.gz, checked by its sha256).
#
# usage: trixie-parser.sh ensure   build the chroot unless cached; print its directory (last stdout line)
#        trixie-parser.sh path     print the directory it has (or would have) in the cache
#        trixie-parser.sh hash     print the recipe hash (sha256 of this file): the cache key
#
# It lives in $PULUMI_APPARMOR_CACHE/trixie-parser/<sha256 of this file>/ (PULUMI_APPARMOR_CACHE defaults
# to /var/cache/pulumi-apparmor): rootfs/ (the chroot; run `chroot DIR/rootfs apparmor_parser -Q -K -S
# -M /features-4.1` with the policy on stdin), rootfs/features-4.1 (the compile features: the package's
# /usr/share/apparmor-features/features plus the ipc (posix_mqueue) block of abi/4.0, so
# mqueue rules are compiled, not dropped), rootfs/simple_tests/ and recipe.json (written last). Built in
# a temporary directory beside it and renamed into place, under a lock. Cold: about 40 s.
#
# The Debian mirror is the one this machine's apt sources use (override: PULUMI_APPARMOR_DEBIAN_MIRROR).
# Needs root (debootstrap, chroot), debootstrap, curl. Installs nothing on this machine.
set -eu

{
cmd="${1:-ensure}"
self="$(readlink -f "$0")"
cache="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
hash="$(sha256sum "$self" | cut -c1-64)"
top="$cache/trixie-parser"
dest="$top/$hash"
# AppArmor 4.1.0's source as Debian trixie ships it (pool path and the sha256 of its .dsc).
src_tar="pool/main/a/apparmor/apparmor_4.1.0.orig.tar.gz"
src_sha256="c4422381941a6f30b7a5c9ee1defb7bc4efe3adbee3f99d642aa6e9bb8bcffcf"

log() { printf 'trixie-parser: %s\n' "$*" >&2; }
die() {
    printf 'trixie-parser: error: %s\n' "$*" >&2
    exit 1
}

case "$cmd" in
hash)
    echo "$hash"
    exit 0
    ;;
path)
    echo "$dest"
    exit 0
    ;;
ensure) ;;
*) die "unknown command '$cmd' (expected ensure, path or hash)" ;;
esac

if [ -f "$dest/recipe.json" ]; then
    echo "$dest"
    exit 0
fi

# --- preconditions -------------------------------------------------------------------------------
PATH="$PATH:/usr/sbin:/sbin"
missing=""
for tool in debootstrap:debootstrap curl:curl chroot:coreutils flock:util-linux; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] || die "missing tools; install them with: apt-get install$missing"
[ "$(id -u)" = 0 ] || die "building the AppArmor 4.1 parser chroot needs root (debootstrap, chroot); \
run 'sudo sh scripts/trixie-parser.sh ensure' once, or point PULUMI_APPARMOR_CACHE at a cache where \
root already built it"

find_mirror() {
    if [ -n "${PULUMI_APPARMOR_DEBIAN_MIRROR:-}" ]; then
        echo "$PULUMI_APPARMOR_DEBIAN_MIRROR"
        return
    fi
    # deb822 sources: the URIs of a stanza for the main archive (not the security archive).
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            /^[[:space:]]*$/ { if (uri != "" && suites ~ / (bookworm|trixie) /) { print uri; exit }
                               uri = ""; suites = ""; next }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { $1 = ""; suites = $0 " " }
            END { if (uri != "" && suites ~ / (bookworm|trixie) /) print uri }
        ' "$f"
    done | head -n 1 | grep . && return
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}\(bookworm\|trixie\)[[:space:]].*/\2/p' |
        head -n 1 | grep . && return
    return 1
}
mirror="$(find_mirror)" || die "no Debian mirror found in /etc/apt/sources.list{,.d}; set \
PULUMI_APPARMOR_DEBIAN_MIRROR"
mirror="${mirror%/}"

# --- lock, then build in a temporary directory ----------------------------------------------------
(umask 077 && mkdir -p "$top")
exec 9>"$top/$hash.lock"
if ! flock -n 9; then
    log "another build of $hash is running; waiting for it"
    flock 9
fi
if [ -f "$dest/recipe.json" ]; then
    echo "$dest"
    exit 0
fi
unmount_under() {
    awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
for old in "$top/.build-$hash".*; do
    [ -d "$old" ] || continue
    unmount_under "$old"
    rm -rf "$old"
done
# chroots of other recipes not touched for a day
find "$top" -mindepth 1 -maxdepth 1 -type d -name '[0-9a-f]*' ! -name "$hash" -mtime +0 \
    -exec rm -rf {} + 2>/dev/null || true

start="$(date +%s)"
tmp="$(mktemp -d "$top/.build-$hash.XXXXXX")"
rootfs="$tmp/rootfs"
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
    unmount_under "$tmp"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "debootstrap trixie from $mirror (log: $tmp/debootstrap.log)"
if ! debootstrap --variant=minbase --components=main --include=apparmor trixie "$rootfs" "$mirror" \
    >"$tmp/debootstrap.log" 2>&1; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    die "debootstrap failed"
fi
unmount_under "$rootfs"
version="$(chroot "$rootfs" apparmor_parser --version | head -n 1)"
case "$version" in
*" 4.1."*) ;;
*) die "trixie's apparmor_parser is '$version', not 4.1" ;;
esac

# Compile features: the package's, plus abi/4.0's ipc (message queues) so mqueue rules are compiled.
{
    cat "$rootfs/usr/share/apparmor-features/features"
    awk '/^ipc \{/ { on = 1 }
        on { print; depth += gsub(/\{/, "{") - gsub(/\}/, "}"); if (depth == 0) exit }
    ' "$rootfs/etc/apparmor.d/abi/4.0"
} >"$rootfs/features-4.1"
grep -q '^ipc {posix_mqueue' "$rootfs/features-4.1" || die "no ipc block in abi/4.0"

log "AppArmor 4.1.0 source (parser test profiles) from $mirror"
curl -fsS --retry 2 -o "$tmp/src.tar.gz" "$mirror/$src_tar" || die "cannot fetch $mirror/$src_tar"
echo "$src_sha256  $tmp/src.tar.gz" | sha256sum -c --quiet - || die "$src_tar: sha256 mismatch"
mkdir "$rootfs/simple_tests"
tar -xzf "$tmp/src.tar.gz" -C "$rootfs/simple_tests" --strip-components=4 \
    apparmor-4.1.0/parser/tst/simple_tests
rm -f "$tmp/src.tar.gz"

seconds=$(($(date +%s) - start))
printf '{"recipe":"%s","parser":"%s","mirror":"%s","seconds":%s}\n' \
    "$hash" "$version" "$mirror" "$seconds" >"$tmp/recipe.json"
rm -f "$tmp/debootstrap.log"
chmod 0755 "$tmp"
mv "$tmp" "$dest"
trap - EXIT
log "built in $seconds s: $dest"
echo "$dest"
exit 0
}
