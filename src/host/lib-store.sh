# pulumi-apparmor host library, second part: what the scripts that write or read our own records use
# (the boot unit, manifests, adopted originals, temp work directories, apply_profile). Sent after
# lib.sh, only with install, mode, remove, status and inventory (see STORE_SCRIPTS in src/host/index.ts), so each
# command stays within one SSH packet. Functions and constants only; nothing runs by itself.

# Reboot survival. Debian's and Ubuntu's apparmor.service load only the top level of /etc/apparmor.d,
# not subdirectories such as containers/, so without this every profile we installed there is gone
# after a reboot and containers started with --security-opt apparmor=NAME (restart policies) fail to
# start. A oneshot unit, ordered after apparmor.service and before sysinit.target (so before dockerd and
# containerd), loads every profile that has a manifest, one at a time (a bad file does not keep the
# others from loading), each under a timeout. The files hold the mode in their header flags, so modes
# survive as well. Its cache is our own ($PA_CACHE): the system cache is keyed by file name only, and a
# distribution profile of the same name must never be loaded from our compiled policy.
PA_UNIT=/etc/systemd/system/pulumi-apparmor.service
PA_UNIT_LINK=/etc/systemd/system/sysinit.target.wants/pulumi-apparmor.service
PA_BOOT_LOADER=$PA_STATE/boot-load

# The boot loader and unit texts are shell variables (no process to produce or compare them).
# shellcheck disable=SC2016 # the loader's own expansions, at boot
PA_BOOT_LOADER_TEXT='#!/bin/sh
# Written by pulumi-apparmor (run by pulumi-apparmor.service at boot): loads every profile it
# installed, one manifest each in /var/lib/pulumi-apparmor/profiles.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
rc=0
for m in /var/lib/pulumi-apparmor/profiles/*; do
    [ -f "$m" ] || continue
    name=$(sed -n "s/^name=//p" "$m" | head -n 1)
    dir=$(sed -n "s/^dir=//p" "$m" | head -n 1)
    if [ -f "$dir/$name" ] && [ ! -L "$dir/$name" ]; then
        timeout -k 5 120 apparmor_parser -r -W -L /var/lib/pulumi-apparmor/cache -- "$dir/$name" || rc=1
    else
        echo "pulumi-apparmor: $dir/$name is missing; profile $name not loaded" >&2
        rc=1
    fi
done
exit $rc
'
PA_UNIT_TEXT="[Unit]
Description=AppArmor profiles installed by pulumi-apparmor
DefaultDependencies=no
After=local-fs.target apparmor.service
Before=sysinit.target containerd.service docker.service
ConditionSecurity=apparmor

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh $PA_BOOT_LOADER

[Install]
WantedBy=sysinit.target
"

# file_is FILE TEXT: FILE exists and holds exactly TEXT (TEXT ends with a newline), read by builtins.
file_is() {
    [ -f "$1" ] || return 1
    fc=
    while IFS= read -r ln; do
        fc="$fc$ln
"
    done <"$1" || return 1
    # A last line without its newline ends the loop early: fc then lacks it, so it differs from TEXT.
    [ "$fc" = "$2" ]
}

# put_file FILE PERM TEXT: FILE = TEXT (temp file + atomic rename) unless it already is; sets
# put_changed to true or false. An unchanged host sees no write and no process started.
# (Not meant for $(...): `fail` must end the script itself.)
put_file() {
    put_changed=false
    if file_is "$1" "$3"; then
        return 0
    fi
    t=$(mktemp "$1.XXXXXX") || fail io "cannot create a temp file beside $1"
    track_tmp "$t"
    if ! { printf '%s' "$3" >"$t" && chmod "$2" "$t" && mv -f "$t" "$1"; }; then
        fail io "cannot write $1"
    fi
    put_changed=true
}

# ensure_boot_load: make the installed profiles survive a reboot. Sets boot_load to true when the
# unit is in place and enabled, false when the host does not run systemd (profiles then last until
# the next reboot; README). Caller holds the lock.
ensure_boot_load() {
    boot_load=false
    if [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
        return 0
    fi
    [ -d "$PA_STATE" ] || mkdir -p "$PA_STATE" || fail io "cannot create $PA_STATE"
    put_file "$PA_BOOT_LOADER" 755 "$PA_BOOT_LOADER_TEXT"
    put_file "$PA_UNIT" 644 "$PA_UNIT_TEXT"
    reload=$put_changed
    # --no-reload, then one daemon-reload for both changes: enable's own reload would be a second one
    # (each re-reads every unit: about 3 s on an emulated test VM, and a cost on any busy host).
    if [ ! -L "$PA_UNIT_LINK" ]; then
        systemctl --no-reload enable --quiet pulumi-apparmor.service >/dev/null 2>&1 9>&- ||
            fail io "cannot enable pulumi-apparmor.service (systemctl enable)"
        reload=true
    fi
    if $reload && ! systemctl daemon-reload >/dev/null 2>&1 9>&-; then
        fail io "systemctl daemon-reload failed after writing $PA_UNIT"
    fi
    boot_load=true
}

# drop_boot_load_if_unused: once no manifest is left, disable and delete the unit, its loader and its
# cache (a host we no longer manage keeps nothing of ours). Caller holds the lock.
drop_boot_load_if_unused() {
    for m in "$PA_MANIFESTS"/*; do
        [ -f "$m" ] && return 0
    done
    [ ! -d "$PA_CACHE" ] || rm -rf "$PA_CACHE"
    [ ! -d "$PA_ADOPTED" ] || rmdir "$PA_ADOPTED" 2>/dev/null || true
    [ -e "$PA_UNIT" ] || [ -L "$PA_UNIT_LINK" ] || [ -e "$PA_BOOT_LOADER" ] || return 0
    if command -v systemctl >/dev/null 2>&1; then
        systemctl --no-reload disable --quiet pulumi-apparmor.service >/dev/null 2>&1 9>&- || true
    fi
    rm -f "$PA_UNIT_LINK" "$PA_UNIT" "$PA_BOOT_LOADER"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl daemon-reload >/dev/null 2>&1 9>&- || true
    fi
}

# read_manifest NAME: sets m_text (the whole manifest) and m_dir, m_sha256, m_mode, m_policySha1 from
# NAME's manifest (all empty when there is none), builtins only.
read_manifest() {
    m_text=
    m_dir=
    m_sha256=
    m_mode=
    m_policySha1=
    [ -f "$PA_MANIFESTS/$1" ] || return 0
    while IFS= read -r ln; do
        m_text="$m_text$ln
"
        case $ln in
            dir=*) [ -n "$m_dir" ] || m_dir=${ln#dir=} ;;
            sha256=*) [ -n "$m_sha256" ] || m_sha256=${ln#sha256=} ;;
            mode=*) [ -n "$m_mode" ] || m_mode=${ln#mode=} ;;
            policySha1=*) [ -n "$m_policySha1" ] || m_policySha1=${ln#policySha1=} ;;
        esac
    done <"$PA_MANIFESTS/$1"
}

# write_manifest NAME TEXT: atomically record what we installed. Caller holds the lock (the temp
# name is fixed: $PA_MANIFESTS is ours, root-owned, and only written under it).
write_manifest() {
    [ -d "$PA_MANIFESTS" ] || mkdir -p "$PA_MANIFESTS" || fail io "cannot create $PA_MANIFESTS"
    mt=$PA_MANIFESTS/.$1.tmp
    track_tmp "$mt"
    if ! { printf '%s' "$2" >"$mt" && mv -f "$mt" "$PA_MANIFESTS/$1"; }; then
        fail io "cannot write the manifest of $1"
    fi
}

# manifest_get NAME KEY: value from the manifest, empty when absent.
manifest_get() {
    [ -f "$PA_MANIFESTS/$1" ] || return 0
    sed -n "s/^$2=//p" "$PA_MANIFESTS/$1" | head -n 1
}

# work_dir DIR NAME: creates a private temp directory (mode 0700, mktemp) beside the profile file, so
# the final rename stays on one file system; sets pa_work. Every temp file of the run lives in it and
# is created there by plain redirection (safe: nobody else can write into it). Removed on exit.
work_dir() {
    pa_work=$(mktemp -d "$1/.$2.XXXXXX") || fail io "cannot create a temp directory in $1"
    PA_WORKS="$PA_WORKS $pa_work"
}

# clean_stale DIR NAME: removes temp files and directories of runs killed hard (SIGKILL, power loss)
# more than an hour ago; starts `find` only when something besides this run's own work dir is there.
clean_stale() {
    for f in "$1/.$2".*; do
        [ -e "$f" ] || continue
        case " $PA_WORKS " in
            *" $f "*) continue ;;
        esac
        find "$1" -maxdepth 1 -name ".$2.*" -mmin +60 -exec rm -rf {} + 2>/dev/null
        return 0
    done
}

# Adoption (install option `adopt`): a file or loaded policy of the profile's name that this library
# did not install is replaced only when the caller opts in, and what was there is kept in
# $PA_ADOPTED/NAME so that remove restores it: `file` (a copy, mode/owner/times kept), `policy` (the
# kernel's raw_data of the loaded policy: reloading it gives back the very same raw_sha1) and `info`
# (dir=, file=yes|no, policy=yes|no, policySha1=).

# read_adopted NAME: sets a_dir, a_file, a_policy, a_sha1 from NAME's adoption record (a_file and
# a_policy "no" when there is none), builtins only.
# shellcheck disable=SC2034 # a_policy, a_sha1: read by remove.sh
read_adopted() {
    a_dir=
    a_file=no
    a_policy=no
    a_sha1=
    [ -f "$PA_ADOPTED/$1/info" ] || return 0
    while IFS= read -r ln; do
        case $ln in
            dir=*) a_dir=${ln#dir=} ;;
            file=yes) a_file=yes ;;
            policy=yes) a_policy=yes ;;
            policySha1=*) a_sha1=${ln#policySha1=} ;;
        esac
    done <"$PA_ADOPTED/$1/info"
}

# write_adopted_info NAME DIR FILE POLICY SHA1: (re)writes the record's info atomically.
write_adopted_info() {
    ai=$PA_ADOPTED/$1/.info.tmp
    track_tmp "$ai"
    if ! { printf 'dir=%s\nfile=%s\npolicy=%s\npolicySha1=%s\n' "$2" "$3" "$4" "$5" >"$ai" &&
        mv -f "$ai" "$PA_ADOPTED/$1/info"; }; then
        fail io "cannot write the adoption record of $1"
    fi
}

# save_adopted NAME DIR TARGET SAVEFILE SAVEPOLICY POLICYDIR SHA1: keeps the unmanaged file TARGET
# (when SAVEFILE is true) and the loaded policy from POLICYDIR (when SAVEPOLICY is true) before they
# are replaced. Caller holds the lock.
save_adopted() {
    st=$PA_ADOPTED/$1
    if ! { rm -rf "$st" && mkdir -p "$st" && chmod 700 "$st"; }; then
        fail io "cannot create $st"
    fi
    sv_file=no
    sv_policy=no
    if $4; then
        cp -p "$3" "$st/file" || fail io "cannot keep a copy of $3"
        sv_file=yes
    fi
    if $5; then
        cat "$6/raw_data" >"$st/policy" || fail io "cannot keep the loaded policy of $1"
        if [ -n "$7" ] && [ "$(sha1_of "$st/policy")" != "$7" ]; then
            fail io "the kept copy of the loaded policy of $1 differs from the kernel's raw_sha1"
        fi
        sv_policy=yes
    fi
    write_adopted_info "$1" "$2" "$sv_file" "$sv_policy" "$7"
}

# restore_adopted_file NAME DIR: puts the adopted original back as DIR/NAME (temp file + rename) and
# drops it from the record. Caller holds the lock.
restore_adopted_file() {
    rt=$(mktemp "$2/.$1.XXXXXX") || fail io "cannot create a temp file in $2"
    track_tmp "$rt"
    if ! { cp -p "$PA_ADOPTED/$1/file" "$rt" && mv -f "$rt" "$2/$1"; }; then
        fail io "cannot restore $2/$1"
    fi
    rm -f "$PA_ADOPTED/$1/file"
}

# before_load: called by apply_profile right before it loads a new policy into the kernel (a script
# may redefine it, e.g. to finish taking the log's position first). Does nothing by default.
before_load() { :; }

# after_load: called by apply_profile right after the kernel took a new policy and its raw_sha1 was
# verified, before the file and manifest are written (a script may redefine it, e.g. to start reading
# the log beside those steps). Does nothing by default.
after_load() { :; }

# compile_new NEWFILE: step 4's checks of NEWFILE (in this run's work dir), at the same time and
# without the lock's descriptor: the NUL byte check, the name list (-N, into the work dir's names)
# and ONE compile (-Q -K -S, into the work dir's bin; the parser's messages into err). Touches
# nothing else and reports nothing: sets pa_crc and pa_nrc (the compile's and the name list's exit
# statuses) and pa_nul (yes|no). Run by precompile before the lock or by apply_profile under it.
compile_new() {
    pc_w=${1%/*}
    # A NUL byte is no part of a profile, and the parser accepts some (inside a path). set_mode's awk
    # pass, which wrote NEWFILE, has already looked ($pa_nul yes|no); otherwise (mode keep, or an awk
    # that cannot hold a NUL) tr and cmp look.
    zpid=
    if [ -z "${pa_nul:-}" ]; then
        # shellcheck disable=SC2094 # both only read $1
        { tr -d '\000' <"$1" | cmp -s - "$1"; } 9>&- &
        zpid=$!
    fi
    run_parser -N "$1" >"$pc_w/names" 2>/dev/null 9>&- &
    npid=$!
    pa_crc=0
    run_parser -Q -K -S "$1" >"$pc_w/bin" 2>"$pc_w/err" || pa_crc=$?
    pa_nrc=0
    wait "$npid" || pa_nrc=$?
    if [ -n "$zpid" ]; then
        if wait "$zpid"; then pa_nul=no; else pa_nul=yes; fi
    fi
}

# precompile NEWFILE TARGET [INPUT INSHA256]: compile_new before the host lock (install), so that the
# installs of one rollout compile on all the host's CPUs at once while the lock covers only the
# claim, the load of the compiled binary and the writes. Its inputs are NEWFILE (private to this run)
# and the host's include files, which the lock never covered. Sets pa_compiled to NEWFILE when done;
# skipped when TARGET holds NEWFILE byte for byte already (the unchanged and adopted-in-place steps
# compile nothing; should neither apply under the lock, apply_profile compiles there) or when INPUT's
# sha256 is not INSHA256 (apply_profile reports that first). With INPUT, the one sha256sum of INPUT
# and NEWFILE (both private to this run) is kept in pa_verified ("INPUT INSHA256 NEWSHA256"): apply_profile
# does not hash them again.
precompile() {
    pa_compiled=
    pa_verified=
    if [ -n "${3:-}" ]; then
        pc_sums=$(sha256sum -- "$3" "$1") || return 0
        [ "${pc_sums%%" "*}" = "$4" ] || return 0
        pc_new=${pc_sums#*"
"}
        pa_verified="$3 $4 ${pc_new%%" "*}"
    fi
    if [ -f "$2" ] && [ ! -L "$2" ] && cmp -s -- "$1" "$2"; then return 0; fi
    compile_new "$1"
    pa_compiled=$1
}

# apply_profile NAME DIR NEWFILE NEWMODE [INPUT INSHA256]: install NEWFILE (in this run's work dir,
# already in its final mode NEWMODE, or "" to read it from the header) as DIR/NAME and load it. When
# INPUT is given, its sha256 must be INSHA256 (a cut SSH connection cannot install a truncated text).
# $pa_adopt (true|false) allows replacing a file or loaded policy we did not install (see Adoption).
# Caller holds the lock. Prints the result JSON. Steps:
#   1. one sha256sum of (input,) new file and current file (of input and new file: precompile's,
#      when it ran);
#   2. ownership: DIR/NAME must be absent or ours (our manifest records it in DIR), a loaded policy
#      NAME must be ours (a manifest of ours exists), else it is refused unless adopting;
#   2b. adopted in place: with adopt, no manifest, the current file byte for byte the new one and the
#      kernel running NAME in NEWMODE → nothing is compiled, written, loaded or recorded ("inPlace");
#   3. unchanged: the current file is byte for byte the new one, the manifest says it was compiled to
#      the policy the kernel has loaded now (raw_sha1) → nothing is compiled, written or loaded;
#   4. otherwise ONE compile (compile_new: apparmor_parser -Q -K -S, nothing touched on failure),
#      with the name check (-N, under the parser timeout) and the NUL byte check beside it, all
#      without the lock descriptor, usually done by precompile before the lock (its failures are
#      reported here, after the ownership checks, either way);
#      then the claim (adopted originals kept, a manifest naming DIR written first so that a run
#      killed from here on leaves a profile we know is ours); the compiled binary is what gets loaded
#      (-r -B: no second compile), and only after the kernel took it is the file renamed into place.
#      A rejected load therefore leaves the previous file and policy (replacement is atomic in the
#      kernel) and withdraws the claim;
#   5. verify the kernel's raw_sha1 is the compiled binary's, write the manifest, boot unit.
apply_profile() {
    name=$1
    dir=$2
    new=$3
    newmode=$4
    target=$dir/$name
    w=${new%/*}
    bin=$w/bin
    err=$w/err
    names_f=$w/names

    clean_stale "$dir" "$name"
    check_target "$target"
    [ -n "$newmode" ] || newmode=$(file_mode "$name" "$new")

    # the input and the new file as precompile hashed them (verified), else hashed here with the target
    pre=
    if [ -n "${5:-}" ]; then
        case ${pa_verified:-} in "$5 $6 "?*) pre=${pa_verified##* } ;; esac
    fi
    files=
    [ -n "$pre" ] || files="${5:-} $new"
    [ -f "$target" ] && files="$files $target"
    sums=
    # shellcheck disable=SC2086 # our own paths: validated directory and name, mktemp names
    [ -z "$files" ] || sums=$(sha256sum -- $files) || fail io "cannot read $files"
    if [ -n "$pre" ]; then
        sums="$pre  $new
$sums"
    elif [ -n "${5:-}" ]; then
        got=${sums%%" "*}
        sums=${sums#*"
"}
        if [ "$got" != "$6" ]; then
            [ "$(wc -c <"$5")" -le 4194304 ] || fail too-large "the profile text is larger than 4 MiB"
            fail incomplete-input "stdin sha256 $got differs from the expected $6 (connection cut?); nothing was changed"
        fi
    fi
    newsha256=${sums%%" "*}
    oldsha256=
    if [ -f "$target" ]; then
        oldsha256=${sums#*"
"}
        oldsha256=${oldsha256%%" "*}
    fi
    kernel_mode_var "$name"
    # shellcheck disable=SC2154 # pa_kmode, pa_lsha1, pa_ldir: set by lib.sh's *_var functions
    oldkmode=$pa_kmode
    loaded_sha1_var "$name"
    # shellcheck disable=SC2154
    oldsha1=$pa_lsha1
    # shellcheck disable=SC2154
    oldpdir=$pa_ldir
    read_manifest "$name"

    # Step 2: ownership, before anything is compiled or written.
    take_file=false
    take_policy=false
    if [ -n "$oldsha256" ] && { [ -z "$m_text" ] || [ "$m_dir" != "$dir" ]; }; then take_file=true; fi
    if [ -n "$oldkmode" ] && [ -z "$m_text" ]; then take_policy=true; fi
    if $take_file || $take_policy; then
        what="a loaded profile named $name"
        $take_file && what="the file $target"
        $take_file && $take_policy && what="the file $target and a loaded profile named $name"
        [ "${pa_adopt:-false}" = true ] ||
            fail unmanaged "$what already exist(s) and pulumi-apparmor did not install it; nothing was changed. Choose another profile name, or set adopt: true to take it over (deleting the profile then restores what was there)"
        read_adopted "$name"
        if [ -n "$m_text" ] && [ "$a_file" = yes ]; then
            fail unmanaged "$what already exist(s) and the adopted original of $name in $a_dir is still kept; nothing was changed. Delete the profile there first"
        fi
        if $take_policy && [ ! -r "$oldpdir/raw_data" ]; then
            fail adopt-unsupported "the kernel does not export the loaded policy of $name (no raw_data in securityfs), so it could not be restored later; nothing was changed"
        fi
    fi

    if [ -z "$m_text" ] && $take_file && [ "$oldsha256" = "$newsha256" ] && [ -n "$oldkmode" ] &&
        [ "$oldkmode" = "$newmode" ]; then
        # Adopted in place (adopt, e.g. a program written by `pulumi-apparmor import`): the file is byte
        # for byte the text and the kernel runs the profile in that mode. Nothing is compiled, written
        # or loaded, and no claim is recorded: the profile stays the host's own until a change is
        # installed (which keeps the original then, see Adoption), and remove leaves it alone. Whether
        # the loaded policy is the file's compiled form is status's to tell (it compiles unmanaged files).
        # (With `facts`, the host's ABI as on every other path.)
        printf '{"ok":true,"name":"%s","dir":"%s","changed":false,"wrote":false,"reloaded":false,"manifestUpdated":false,"adopted":false,"inPlace":true,"mode":"%s","sha256":"%s","policySha1":"%s","kernelMode":"%s","bootLoad":false%s}\n' \
            "$name" "$dir" "$newmode" "$newsha256" "$oldsha1" "$oldkmode" "${PA_HOST_ABI:+,$PA_HOST_ABI}"
        return 0
    fi

    wrote=false
    reloaded=false
    adopted=false
    if [ -n "$oldsha1" ] && [ "$oldsha256" = "$newsha256" ] && [ "$m_sha256" = "$newsha256" ] &&
        [ "$m_policySha1" = "$oldsha1" ] && [ "$m_dir" = "$dir" ]; then
        # Step 3: the file and the loaded policy are exactly what an earlier run compiled and
        # verified (the same rule `status` uses).
        newsha1=$oldsha1
    else
        # (The NUL byte check's result is reported before the compile's.)
        [ "${pa_compiled:-}" = "$new" ] || compile_new "$new"
        pa_compiled=
        [ "${pa_nul:-}" != yes ] || fail nul-byte "the profile text contains NUL bytes; nothing was changed"
        timed_out "$pa_crc" && fail_timeout "compile (apparmor_parser -Q)"
        [ "$pa_crc" -eq 0 ] ||
            fail parse-failed "apparmor_parser rejected the profile; nothing was changed: $(parser_message "$err" "$new")"
        timed_out "$pa_nrc" && fail_timeout "name check (apparmor_parser -N)"
        names=
        while IFS= read -r ln; do
            case $ln in
                *//*) ;;
                *) names="$names${names:+ }$ln" ;;
            esac
        done <"$names_f"
        if [ "$names" != "$name" ]; then
            # Names from included files are shown only when the text itself has them.
            printf '%s\n' "$names" >"$names_f"
            fail wrong-name "the text must define exactly one top-level profile named $name (found: $(parser_message "$names_f" "$new"))"
        fi
        newsha1=$(sha1sum <"$bin") || fail io "cannot read the compiled policy"
        newsha1=${newsha1%%" "*}
        # The claim: from here on the host holds a profile of ours named NAME in DIR.
        claimed=false
        if [ -z "$m_text" ] || [ "$m_dir" != "$dir" ]; then
            if $take_file || $take_policy; then
                save_adopted "$name" "$dir" "$target" "$take_file" "$take_policy" "$oldpdir" "$oldsha1"
                adopted=true
            fi
            write_manifest "$name" "name=$name
dir=$dir
"
            claimed=true
        fi
        if [ "$oldsha1" != "$newsha1" ]; then
            before_load
            lrc=0
            run_parser -r -B "$bin" >"$err" 2>&1 || lrc=$?
            if [ "$lrc" -ne 0 ]; then
                msg=$(parser_message "$err" "$new")
                loaded_sha1_var "$name"
                if [ "$pa_lsha1" != "$oldsha1" ] && [ -n "$oldsha256" ] && ! $take_file; then
                    run_parser -r -K "$target" >/dev/null 2>&1
                fi
                if $claimed; then
                    if [ -n "$m_text" ]; then write_manifest "$name" "$m_text"; else rm -f "$PA_MANIFESTS/$name"; fi
                    if $adopted; then rm -rf "${PA_ADOPTED:?}/$name"; fi
                fi
                timed_out "$lrc" &&
                    fail load-timeout "load (apparmor_parser -r) did not finish within $PA_TIMEOUT s and was stopped; the previous file and policy were kept"
                fail load-failed "the kernel rejected the profile; the previous file and policy were kept: $msg"
            fi
            reloaded=true
            loaded_sha1_var "$name"
            [ "$pa_lsha1" = "$newsha1" ] ||
                fail verify-failed "after loading, the kernel's raw_sha1 ($pa_lsha1) differs from the compiled file ($newsha1)"
            after_load
        fi
        if [ "$oldsha256" != "$newsha256" ] || $take_file; then
            mv -f "$new" "$target" || fail io "cannot rename into $target"
            wrote=true
        fi
    fi
    manifest=false
    mtext="name=$name
dir=$dir
sha256=$newsha256
mode=$newmode
policySha1=$newsha1
"
    if [ "$m_text" != "$mtext" ]; then
        write_manifest "$name" "$mtext"
        manifest=true
    fi
    changed=false
    if $wrote || $reloaded; then changed=true; fi
    ensure_boot_load
    kernel_mode_var "$name"
    printf '{"ok":true,"name":"%s","dir":"%s","changed":%s,"wrote":%s,"reloaded":%s,"manifestUpdated":%s,"adopted":%s,"mode":"%s","sha256":"%s","policySha1":"%s","kernelMode":"%s","bootLoad":%s%s}\n' \
        "$name" "$dir" "$changed" "$wrote" "$reloaded" "$manifest" "$adopted" "$newmode" "$newsha256" "$newsha1" "$pa_kmode" "$boot_load" "${PA_HOST_ABI:+,$PA_HOST_ABI}"
}
