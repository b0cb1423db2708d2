# status DIR [NAME…] [timeout=SECONDS] — one JSON document about the profiles this library manages (all manifests under
# /var/lib/pulumi-apparmor/profiles when no NAME is given). DIR is where to look for a NAME that has no
# manifest. Per profile:
#   managed            a manifest records our install (name, dir, sha256, mode, policySha1)
#   file               {present, sha256, mode} of DIR/NAME (mode from its header flags)
#   installed          the manifest's {sha256, mode, policySha1}, or null
#   loaded, kernelMode from /sys/kernel/security/apparmor/profiles
#   policySha1         raw_sha1 of the loaded policy (found by its `name` file), or null
#   fileSha1           sha1 of `apparmor_parser -Q -K -S FILE` on this host, or null. Not compiled again
#                      when the file's sha256 and the loaded policy's raw_sha1 are both the manifest's
#                      (what install compiled and verified): then it is that recorded sha1
#   policyMatchesFile  policySha1 = fileSha1 (the loaded policy is exactly the compiled file)
#   compileError       apparmor_parser's message when the file does not compile (reduced by
#                      parser_message: nothing quoted from included files), or null
# timeout=N: seconds the compile may take (default 120); one that takes longer is a compileError.
#   processes          processes currently confined by the profile

[ $# -ge 1 ] || usage "DIR [NAME...] [timeout=SECONDS]"
check_dir "$1"
defdir=$1
shift
names=
for n in "$@"; do
    case $n in
        timeout=*) set_timeout "${n#timeout=}" ;;
        *)
            check_name "$n"
            names="$names $n"
            ;;
    esac
done
# shellcheck disable=SC2086 # validated names: no spaces or glob characters
set -- $names
need_root

if [ $# -eq 0 ] && [ -d "$PA_MANIFESTS" ]; then
    for f in "$PA_MANIFESTS"/*; do
        [ -f "$f" ] || continue
        n=${f##*/}
        valid_name "$n" && set -- "$@" "$n"
    done
fi

enabled=false
apparmor_enabled && enabled=true
secfs=false
[ -d "$PA_SECFS/policy" ] && secfs=true
parser=false
command -v apparmor_parser >/dev/null 2>&1 && parser=true

work=$(mktemp -d) || fail io "cannot create a temp directory"
track_tmp "$work/bin" "$work/err"
trap 'cleanup; rm -rf "$work"' EXIT

# js VALUE: JSON string, or null when empty.
js() {
    if [ -n "$1" ]; then printf '"%s"' "$1"; else printf 'null'; fi
}

printf '{"ok":true,"apparmor":{"enabled":%s,"securityfs":%s,"parser":%s},"profiles":[' "$enabled" "$secfs" "$parser"
sep=
for name in "$@"; do
    managed=false
    dir=$defdir
    if [ -f "$PA_MANIFESTS/$name" ]; then
        managed=true
        md=$(manifest_get "$name" dir)
        valid_dir "$md" && dir=$md
    fi
    file=$dir/$name
    present=false
    fsha=
    fmode=
    fsha1=
    cerr=
    kmode=
    psha1=
    procs=0
    if $secfs; then
        kmode=$(kernel_mode "$name")
        psha1=$(loaded_sha1 "$name")
        [ -n "$kmode" ] && procs=$(confined_count "$name")
    fi
    if [ -f "$file" ] && [ ! -L "$file" ]; then
        present=true
        fsha=$(sha256_of "$file")
        fmode=$(file_mode "$name" "$file")
        if $managed && [ -n "$psha1" ] && [ "$fsha" = "$(manifest_get "$name" sha256)" ] &&
            [ "$psha1" = "$(manifest_get "$name" policySha1)" ]; then
            # The file is byte for byte the one we compiled at install and that policy is still the
            # loaded one: no need to compile it again (the slow part of a refresh).
            fsha1=$psha1
        elif $parser; then
            crc=0
            fsha1=$(compile_sha1 "$file" "$work/bin" "$work/err") || crc=$?
            if [ "$crc" -ne 0 ]; then
                fsha1=
                if timed_out "$crc"; then
                    cerr=$(printf 'compile (apparmor_parser -Q) did not finish within %s s and was stopped' "$PA_TIMEOUT" | json_str)
                else
                    cerr=$(parser_message "$work/err" "$file" | json_str)
                fi
            fi
        fi
    fi
    loaded=false
    [ -n "$kmode" ] && loaded=true
    matches=false
    [ -n "$psha1" ] && [ "$psha1" = "$fsha1" ] && matches=true
    installed=null
    if $managed; then
        installed=$(printf '{"sha256":%s,"mode":%s,"policySha1":%s}' \
            "$(js "$(manifest_get "$name" sha256)")" "$(js "$(manifest_get "$name" mode)")" \
            "$(js "$(manifest_get "$name" policySha1)")")
    fi
    printf '%s{"name":"%s","managed":%s,"dir":"%s","file":{"present":%s,"sha256":%s,"mode":%s},"installed":%s,"loaded":%s,"kernelMode":%s,"policySha1":%s,"fileSha1":%s,"policyMatchesFile":%s,"compileError":%s,"processes":%s}' \
        "$sep" "$name" "$managed" "$dir" "$present" "$(js "$fsha")" "$(js "$fmode")" "$installed" \
        "$loaded" "$(js "$kmode")" "$(js "$psha1")" "$(js "$fsha1")" "$matches" "${cerr:-null}" "$procs"
    sep=,
done
printf ']}\n'
