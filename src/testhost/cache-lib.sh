# shellcheck shell=sh
# Cache scaffolding shared by the builders of heavy cached artifacts (src/testhost/build-image.sh,
# scripts/trixie-parser.sh); sourced, not run. An artifact lives in TOP/KEY/ (KEY: its recipe hash),
# is built in a temporary directory TOP/.build-KEY.XXXXXX beside it and renamed into place, under the
# lock TOP/KEY.lock, so two builders of one recipe never collide and a reader never sees half of it.
# Both builders hash this file into their keys: a change here rebuilds both.
#
# The caller sets cache_name (the prefix of its messages) before sourcing.

cache_log() { printf '%s: %s\n' "${cache_name:-cache}" "$*" >&2; }
cache_die() {
    printf '%s: error: %s\n' "${cache_name:-cache}" "$*" >&2
    exit 1
}

# cache_private_dir DIR: create DIR (and its parents) 0700, or make it 0700 when it is ours and not a
# shared sticky directory such as /tmp.
cache_private_dir() {
    if [ ! -d "$1" ]; then
        (umask 077 && mkdir -p "$1")
    fi
    if [ -O "$1" ] && [ ! -k "$1" ]; then
        chmod 0700 "$1"
    fi
}

# cache_find_mirror SUITE...: print the Debian mirror this machine's apt sources use for one of the
# SUITEs (the main archive, not the security archive; PULUMI_APPARMOR_DEBIAN_MIRROR overrides);
# fail when there is none.
cache_find_mirror() {
    if [ -n "${PULUMI_APPARMOR_DEBIAN_MIRROR:-}" ]; then
        echo "$PULUMI_APPARMOR_DEBIAN_MIRROR"
        return
    fi
    cache_suites=" $* "
    # deb822 sources: the URIs of a stanza whose Suites include one of them.
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v want="$cache_suites" '
            function wanted(   n, i, s) {
                n = split(suites, s, " ")
                for (i = 1; i <= n; i++) if (index(want, " " s[i] " ") > 0) return 1
                return 0
            }
            /^[[:space:]]*$/ { if (uri != "" && wanted()) { print uri; exit }
                               uri = ""; suites = ""; next }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { $1 = ""; suites = $0 }
            END { if (uri != "" && wanted()) print uri }
        ' "$f"
    done | head -n 1 | grep . && return
    # one-line sources.list: deb [opts] URI SUITE main
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}\([^[:space:]]*\)[[:space:]].*/\3 \2/p' |
        while read -r suite uri; do
            case "$cache_suites" in
            *" $suite "*) echo "$uri" ;;
            esac
        done | head -n 1 | grep . && return
    return 1
}

# cache_unmount_under DIR: lazily unmount everything mounted below DIR (deepest first).
cache_unmount_under() {
    awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# cache_lock TOP KEY: take TOP/KEY.lock (fd 9), waiting for another builder of KEY.
cache_lock() {
    exec 9>"$1/$2.lock"
    if ! flock -n 9; then
        cache_log "another build of $2 is running; waiting for it"
        flock 9
    fi
}

# cache_clean_builds TOP KEY: remove the leftovers of builds of KEY that were killed (call it holding
# the lock: then none is running).
cache_clean_builds() {
    for old in "$1/.build-$2".*; do
        [ -d "$old" ] || continue
        cache_unmount_under "$old"
        rm -rf "$old"
    done
}

# cache_prune TOP KEY [PREDICATE]: remove the artifacts of other recipes in TOP not touched for a day
# (a running VM keeps its open backing file): directories named by a sha256 only, and of those only
# the ones for which `PREDICATE DIR` succeeds when it is given.
cache_prune() {
    find "$1" -mindepth 1 -maxdepth 1 -type d -name '[0-9a-f]*' ! -name "$2" -mtime +0 |
        while read -r old; do
            base="${old##*/}"
            case "$base" in
            *[!0-9a-f]*) continue ;; # e.g. the debs/ folder: only recipe hashes are pruned
            esac
            [ "${#base}" -eq 64 ] || continue
            if [ -z "${3:-}" ] || "$3" "$old"; then
                rm -rf "$old" 2>/dev/null || true
            fi
        done
}

# cache_begin TOP KEY: make the temporary build directory (its path in cache_tmp) and remove it (with
# whatever is mounted in it) when the script exits before cache_commit.
cache_begin() {
    cache_tmp="$(mktemp -d "$1/.build-$2.XXXXXX")"
    trap cache_abort EXIT
    trap 'exit 130' INT TERM
}
# shellcheck disable=SC2317 # called from the EXIT trap
cache_abort() {
    cache_unmount_under "$cache_tmp"
    rm -rf "$cache_tmp"
}

# cache_commit DEST MODE: give the temporary directory MODE and rename it to DEST.
cache_commit() {
    chmod "$2" "$cache_tmp"
    mv -T "$cache_tmp" "$1"
    trap - EXIT
}
