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

# shellcheck disable=SC2154 # m_*, pa_kmode, pa_lsha1, header_awk: set by lib.sh / lib-store.sh
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

# js VALUE: sets pa_j to VALUE as a JSON string, or null when empty (no subshell: status runs it eight
# times per profile). VALUE is a hash, a mode or a validated name: nothing to escape.
js() {
    if [ -n "$1" ]; then pa_j="\"$1\""; else pa_j=null; fi
}

# Everything read once for all names, not per profile (each process start costs tens of
# milliseconds on a small VM): pass 1 finds each profile's file (its manifest's dir, else DIR); then one
# sha256sum and one awk read every present file's hash and header mode, and one awk counts the
# processes confined by each name. Pass 2 prints, taking those results in order.
: >"$work/files"
files=
for name in "$@"; do
    read_manifest "$name"
    dir=$defdir
    [ -f "$PA_MANIFESTS/$name" ] && valid_dir "$m_dir" && dir=$m_dir
    file=$dir/$name
    if [ -f "$file" ] && [ ! -L "$file" ]; then files="$files $file"; fi
done
# shellcheck disable=SC2086 # validated names and directories: no spaces or glob characters
if [ -n "$files" ]; then
    sha256sum -- $files >"$work/sums" 2>/dev/null || true
    awk -v op=modes "$header_awk" $files >"$work/modes" 2>/dev/null || : >"$work/modes"
else
    : >"$work/sums"
    : >"$work/modes"
fi
if $secfs && [ $# -gt 0 ]; then
    # shellcheck disable=SC2013 # not reading lines of a file list
    cat /proc/[0-9]*/attr/current 2>/dev/null | awk -v names="$*" '
        BEGIN { k = split(names, nm, " ") }
        { for (i = 1; i <= k; i++) { n = nm[i]; p = substr($0, 1, length(n) + 2); if (p == n " (" || p == n "//") c[i]++ } }
        END { for (i = 1; i <= k; i++) print c[i] + 0 }' >"$work/counts"
else
    : >"$work/counts"
fi
exec 4<"$work/sums" 5<"$work/modes" 6<"$work/counts"

printf '{"ok":true,"apparmor":{"enabled":%s,"securityfs":%s,"parser":%s},"profiles":[' "$enabled" "$secfs" "$parser"
sep=
for name in "$@"; do
    managed=false
    read_manifest "$name"
    dir=$defdir
    if [ -f "$PA_MANIFESTS/$name" ]; then
        managed=true
        valid_dir "$m_dir" && dir=$m_dir
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
    count=0
    IFS= read -r count <&6 || count=0
    if $secfs; then
        kernel_mode_var "$name"
        kmode=$pa_kmode
        loaded_sha1_var "$name"
        psha1=$pa_lsha1
        [ -n "$kmode" ] && procs=$count
    fi
    if [ -f "$file" ] && [ ! -L "$file" ]; then
        present=true
        sl=
        IFS= read -r sl <&4 || sl=
        ml=
        IFS= read -r ml <&5 || ml=
        if [ "${sl#*"  "}" = "$file" ]; then
            fsha=${sl%%" "*}
            fmode=$ml
        else
            # The file changed between the passes (or sha256sum failed): read it on its own.
            fsha=$(sha256_of "$file") || fsha=
            fmode=$(file_mode "$name" "$file")
        fi
        if $managed && [ -n "$psha1" ] && [ "$fsha" = "$m_sha256" ] &&
            [ "$psha1" = "$m_policySha1" ]; then
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
        js "$m_sha256"
        j1=$pa_j
        js "$m_mode"
        j2=$pa_j
        js "$m_policySha1"
        j3=$pa_j
        installed="{\"sha256\":$j1,\"mode\":$j2,\"policySha1\":$j3}"
    fi
    js "$fsha"
    j1=$pa_j
    js "$fmode"
    j2=$pa_j
    js "$kmode"
    j3=$pa_j
    js "$psha1"
    j4=$pa_j
    js "$fsha1"
    j5=$pa_j
    printf '%s{"name":"%s","managed":%s,"dir":"%s","file":{"present":%s,"sha256":%s,"mode":%s},"installed":%s,"loaded":%s,"kernelMode":%s,"policySha1":%s,"fileSha1":%s,"policyMatchesFile":%s,"compileError":%s,"processes":%s}' \
        "$sep" "$name" "$managed" "$dir" "$present" "$j1" "$j2" "$installed" \
        "$loaded" "$j3" "$j4" "$j5" "$matches" "${cerr:-null}" "$procs"
    sep=,
done
exec 4<&- 5<&- 6<&-
printf ']}\n'
