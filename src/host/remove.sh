# remove NAME DIR — unload the profile and delete its file, manifest and cache entry. Tolerates a
# profile that is already gone. Processes still confined by it become unconfined at once (kernel
# behaviour); their count is reported as "processes".
# Result: {"ok":true,"name","changed","unloaded","deleted","processes"}

[ $# -eq 2 ] || usage "NAME DIR"
check_name "$1"
check_dir "$2"
need_root
ignore_hangup

name=$1
target=$2/$name
take_lock
procs=0
unloaded=false
deleted=false
if apparmor_enabled && [ -d "$PA_SECFS/policy" ] && [ -n "$(kernel_mode "$name")" ]; then
    procs=$(confined_count "$name")
    if [ -f "$target" ] && command -v apparmor_parser >/dev/null 2>&1; then
        apparmor_parser -R "$target" >/dev/null 2>&1 || true
    fi
    if [ -n "$(kernel_mode "$name")" ]; then
        # The file is gone or names another profile: remove by name through the kernel interface.
        printf '%s' "$name" >"$PA_SECFS/.remove" 2>/dev/null || true
    fi
    [ -z "$(kernel_mode "$name")" ] || fail unload-failed "profile $name is still loaded after removal"
    unloaded=true
fi
if [ -e "$target" ]; then
    rm -f "$target" || fail io "cannot delete $target"
    deleted=true
fi
rm -f "$PA_MANIFESTS/$name"
drop_boot_load_if_unused
# Temp files of installs killed hard (SIGKILL, power loss) more than an hour ago.
find "$2" -maxdepth 1 -name ".$name.*" -mmin +60 -exec rm -rf {} + 2>/dev/null
if command -v apparmor_parser >/dev/null 2>&1; then
    cache=$(apparmor_parser --print-cache-dir 2>/dev/null) || cache=
    if [ -n "$cache" ] && [ -f "$cache/$name" ]; then rm -f "$cache/$name"; fi
fi
changed=false
if $unloaded || $deleted; then changed=true; fi
printf '{"ok":true,"name":"%s","changed":%s,"unloaded":%s,"deleted":%s,"processes":%s}\n' \
    "$name" "$changed" "$unloaded" "$deleted" "$procs"
