# remove NAME DIR [OPTION...] — take out a profile this library installed in DIR: unload it BY NAME
# (the kernel's .remove interface: a file naming other profiles unloads nothing else) and delete its
# file, manifest and cache entry. When the install adopted an unmanaged original (install's `adopt`),
# that original is restored instead: its file, and its loaded policy reloaded from the kept compiled
# blob (the same raw_sha1 as before). A profile without our manifest is left alone (not ours), as is
# one gone already.
#   OPTION  in-use=refuse|remove  when processes still run confined by the profile (unloading leaves
#                                 them silently unconfined): refuse (default; exit 1, error "in-use",
#                                 "processes": N, nothing changed) or unload anyway
#           wait=N                first wait up to N seconds (default 0) for that count to reach 0 (a
#                                 container being stopped)
#           timeout=N             seconds each apparmor_parser step may take (default 120)
# Result: {"ok":true,"name","managed","changed","unloaded","deleted","restored","processes"}
#   managed    a manifest of ours was there (false: nothing was touched)
#   restored   the adopted original file and/or policy is back
#   processes  processes confined by the profile when it was unloaded (now unconfined)

# shellcheck disable=SC2154 # m_*, a_*, pa_lsha1: set by read_manifest, read_adopted, loaded_sha1_var (lib.sh)
[ $# -ge 2 ] || usage "NAME DIR [in-use=refuse|remove] [wait=SECONDS] [timeout=SECONDS]"
check_name "$1"
check_dir "$2"
name=$1
dir=$2
target=$dir/$name
shift 2
in_use=refuse
wait_s=0
for o in "$@"; do
    case $o in
        in-use=refuse | in-use=remove) in_use=${o#in-use=} ;;
        wait=*)
            check_seconds wait "${o#wait=}" 600
            wait_s=${o#wait=}
            ;;
        timeout=*) set_timeout "${o#timeout=}" ;;
        *) fail bad-option "unknown option (allowed: in-use=refuse|remove, wait=SECONDS, timeout=SECONDS)" 2 ;;
    esac
done
need_root
ignore_hangup

[ -d "$dir" ] && safe_dir "$dir"
take_lock
read_manifest "$name"
read_adopted "$name"
procs=0
unloaded=false
deleted=false
restored=false

result() {
    changed=false
    if $unloaded || $deleted || $restored; then changed=true; fi
    printf '{"ok":true,"name":"%s","managed":%s,"changed":%s,"unloaded":%s,"deleted":%s,"restored":%s,"processes":%s}\n' \
        "$name" "$1" "$changed" "$unloaded" "$deleted" "$restored" "$procs"
}

# remove_file: DIR/NAME goes (or the adopted original of DIR comes back); anything that is not a regular
# file (we only ever write regular files) stays.
remove_file() {
    if [ "$a_file" = yes ] && [ "$a_dir" = "$dir" ] && [ -f "$PA_ADOPTED/$name/file" ]; then
        restore_adopted_file "$name" "$dir"
        restored=true
        a_file=no
    elif [ -f "$target" ] && [ ! -L "$target" ]; then
        rm -f "$target" || fail io "cannot delete $target"
        deleted=true
    fi
}

if [ -z "$m_text" ]; then
    # Not installed by us (or removed already): a file or profile of that name is someone else's.
    result false
    exit 0
fi
if [ "$m_dir" != "$dir" ]; then
    # The profile moved to another directory (installed there since): only the file it left here
    # goes; the loaded profile and the manifest are the new directory's.
    remove_file
    if $restored; then write_adopted_info "$name" "$a_dir" no "$a_policy" "$a_sha1"; fi
    result true
    exit 0
fi

err=$(mktemp) || fail io "cannot create a temp file"
track_tmp "$err"
if [ "$a_policy" = yes ] && apparmor_enabled && [ -d "$PA_SECFS/policy" ]; then
    # Adopted: reload the original policy (running processes stay confined, by it).
    need_parser
    rrc=0
    run_parser -r -B "$PA_ADOPTED/$name/policy" >"$err" 2>&1 || rrc=$?
    timed_out "$rrc" &&
        fail restore-timeout "reloading the adopted original policy of $name did not finish within $PA_TIMEOUT s; nothing was changed"
    [ "$rrc" -eq 0 ] ||
        fail restore-failed "the kernel refused the adopted original policy of $name; nothing was changed: $(parser_message "$err" /dev/null)"
    loaded_sha1_var "$name"
    if [ -n "$a_sha1" ] && [ "$pa_lsha1" != "$a_sha1" ]; then
        fail restore-failed "after reloading the adopted original of $name the kernel's raw_sha1 is $pa_lsha1, not $a_sha1"
    fi
    restored=true
elif apparmor_enabled && [ -d "$PA_SECFS/policy" ] && [ -n "$(kernel_mode "$name")" ]; then
    procs=$(confined_count "$name")
    waited=0
    while [ "$procs" -gt 0 ] && [ "$waited" -lt "$wait_s" ]; do
        sleep 1 9>&-
        waited=$((waited + 1))
        procs=$(confined_count "$name")
    done
    if [ "$procs" -gt 0 ] && [ "$in_use" = refuse ]; then
        fail in-use "profile $name still confines $procs process(es) on this host (containers still running with it?), and unloading it would leave them running unconfined; nothing was changed. Stop them first, or remove anyway with onDeleteInUse: \"remove\" (in-use=remove)" 1 "\"processes\":$procs"
    fi
    printf '%s' "$name" >"$PA_SECFS/.remove" 2>/dev/null || true
    [ -z "$(kernel_mode "$name")" ] || fail unload-failed "profile $name is still loaded after removal"
    unloaded=true
fi
remove_file
rm -f "$PA_MANIFESTS/$name"
rm -rf "${PA_ADOPTED:?}/$name"
drop_boot_load_if_unused
# Temp files of installs killed hard (SIGKILL, power loss) more than an hour ago.
find "$dir" -maxdepth 1 -name ".$name.*" -mmin +60 -exec rm -rf {} + 2>/dev/null
# Cache entries: ours (boot loader), and the system cache's from versions that wrote there, unless a
# distribution profile of that name owns it (/etc/apparmor.d/NAME).
for c in "$PA_CACHE"/*/"$name"; do
    [ -f "$c" ] && rm -f "$c"
done
if [ ! -e "/etc/apparmor.d/$name" ] && command -v apparmor_parser >/dev/null 2>&1 &&
    command -v timeout >/dev/null 2>&1; then
    cache=$(run_parser --print-cache-dir 2>/dev/null) || cache=
    if [ -n "$cache" ] && [ -f "$cache/$name" ]; then rm -f "$cache/$name"; fi
fi
result true
