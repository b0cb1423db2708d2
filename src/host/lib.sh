# pulumi-apparmor host library: shared by every host script.
#
# src/host/index.ts sends `lib.sh` + `<script>.sh` as ONE text to `sh -c` (see buildHostCommand), so this
# file defines functions and constants only and runs nothing by itself. POSIX sh + coreutils (+ awk,
# flock, and the AppArmor/systemd/docker tools each script probes for).
#
# Output contract of every script: the FIRST line of stdout is one JSON object with "ok" true/false;
# `denials` follows it with raw log lines. On failure a human message also goes to stderr and the exit
# status is non-zero (1 error, 2 usage, 3 preflight found problems).

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C
export LC_ALL
umask 022

PA_STATE=/var/lib/pulumi-apparmor
PA_MANIFESTS=$PA_STATE/profiles
PA_LOCK=$PA_STATE/lock
PA_SECFS=/sys/kernel/security/apparmor
PA_SCRIPT=${0##*/}
PA_TMPS=

# json_str: stdin → one JSON string literal (quotes included). Control characters other than newline
# and tab are dropped, tabs become spaces, newlines become \n.
json_str() {
    tr -d '\000-\010\013-\037' | tr '\t' ' ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' |
        awk 'BEGIN { printf "\"" } { if (NR > 1) printf "\\n"; printf "%s", $0 } END { printf "\"" }'
}

# fail CODE MESSAGE [EXIT]: JSON error line on stdout, human line on stderr, exit.
fail() {
    printf '{"ok":false,"error":"%s","message":%s}\n' "$1" "$(printf '%s' "$2" | json_str)"
    printf '%s: %s\n' "$PA_SCRIPT" "$2" >&2
    exit "${3:-1}"
}

usage() {
    fail usage "usage: $PA_SCRIPT $1" 2
}

cleanup() {
    if [ -n "$PA_TMPS" ]; then
        # shellcheck disable=SC2086 # PA_TMPS is a list of our own mktemp paths (no spaces: validated)
        rm -f $PA_TMPS
    fi
}

# track_tmp PATH...: delete these on exit.
track_tmp() {
    PA_TMPS="$PA_TMPS $*"
}

trap cleanup EXIT
# A closed stdout (cut connection) must not kill a script before its EXIT trap cleans up.
trap '' PIPE
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Mutating scripts call this once their input is complete: an SSH drop (SIGHUP) must not stop them
# half-way; the lock and the ordering in apply_profile keep the host consistent either way.
ignore_hangup() {
    trap '' HUP
}

# valid_name NAME: the profile-name subset this library accepts (see validateProfileName in index.ts).
valid_name() {
    case $1 in
        '' | [!A-Za-z0-9]* | *[!A-Za-z0-9._+-]*) return 1 ;;
    esac
    [ "${#1}" -le 200 ] && [ "$1" != unconfined ]
}

# valid_dir DIR: absolute, normalised, safe characters (see validateHostDirectory in index.ts).
valid_dir() {
    case $1 in
        /*) ;;
        *) return 1 ;;
    esac
    case $1 in
        */ | *//* | */./* | */../* | */. | */.. | *[!A-Za-z0-9._/+-]*) return 1 ;;
    esac
    [ "${#1}" -le 1024 ]
}

valid_mode() {
    case $1 in
        enforce | complain) return 0 ;;
    esac
    return 1
}

check_name() {
    valid_name "$1" || fail bad-name "invalid profile name (allowed: [A-Za-z0-9][A-Za-z0-9._+-]*, at most 200 characters, not 'unconfined')" 2
}

check_dir() {
    valid_dir "$1" || fail bad-dir "invalid directory (absolute, normalised, characters [A-Za-z0-9._/+-])" 2
}

need_root() {
    [ "$(id -u)" = 0 ] || fail not-root "must run as root (connect as root or use passwordless sudo)"
}

need_parser() {
    command -v apparmor_parser >/dev/null 2>&1 ||
        fail no-parser "apparmor_parser not found; fix: apt-get install apparmor"
}

apparmor_enabled() {
    en=
    [ -r /sys/module/apparmor/parameters/enabled ] && en=$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)
    [ "$en" = Y ]
}

need_apparmor() {
    apparmor_enabled || fail apparmor-disabled "AppArmor is not enabled in the kernel; run preflight for the fix"
    [ -d "$PA_SECFS/policy" ] || fail no-securityfs "securityfs is not mounted at /sys/kernel/security; fix: mount -t securityfs securityfs /sys/kernel/security"
}

# take_lock: host-wide exclusive lock held until the script exits (fd 9).
take_lock() {
    mkdir -p "$PA_STATE" || fail io "cannot create $PA_STATE"
    exec 9>>"$PA_LOCK" || fail io "cannot open $PA_LOCK"
    flock -w 300 9 || fail lock-timeout "another pulumi-apparmor change held $PA_LOCK for 300 s"
}

# sha256_of FILE / sha1_of FILE: hex digest only.
sha256_of() {
    sha256sum <"$1" | cut -d ' ' -f 1
}
sha1_of() {
    sha1sum <"$1" | cut -d ' ' -f 1
}

# header_awk: awk program over a profile text with -v n=NAME -v op=rewrite|mode [-v mode=M].
# Finds the first line `[ws]profile NAME [flags=](FLAGS) {…`. op=rewrite prints the text with that line
# unchanged when the profile is already in `mode`, else with the mode flags (enforce, complain, kill,
# unconfined, prompt) removed from FLAGS and `complain` appended when mode=complain (separator style ","
# or ", " kept); op=mode prints the file's mode. Exit 3 when the header is absent.
# shellcheck disable=SC2016 # awk program, not shell expansion
header_awk='
function mode_flag(f) {
    return f == "enforce" || f == "complain" || f == "kill" || f == "unconfined" || f == "prompt"
}
!found {
    s = $0
    sub(/^[ \t]+/, "", s)
    indent = substr($0, 1, length($0) - length(s))
    if (substr(s, 1, 7) == "profile" && (substr(s, 8, 1) == " " || substr(s, 8, 1) == "\t")) {
        r = substr(s, 9)
        sub(/^[ \t]+/, "", r)
        if (substr(r, 1, length(n)) == n) {
            rest = substr(r, length(n) + 1)
            c = substr(rest, 1, 1)
            if (c == " " || c == "\t" || c == "{") {
                sub(/^[ \t]+/, "", rest)
                flags = ""
                if (substr(rest, 1, 6) == "flags=") {
                    rest = substr(rest, 7)
                    sub(/^[ \t]+/, "", rest)
                }
                ok = 1
                if (substr(rest, 1, 1) == "(") {
                    p = index(rest, ")")
                    if (p == 0) ok = 0
                    else {
                        flags = substr(rest, 2, p - 2)
                        rest = substr(rest, p + 1)
                        sub(/^[ \t]+/, "", rest)
                    }
                }
                if (ok && substr(rest, 1, 1) == "{") {
                    found = 1
                    nf = split(flags, fl, /[ \t,]+/)
                    sep = index(flags, ", ") ? ", " : ","
                    kept = ""
                    filemode = "enforce"
                    for (i = 1; i <= nf; i++) {
                        if (fl[i] == "") continue
                        if (mode_flag(fl[i])) { if (fl[i] != "enforce") filemode = fl[i]; continue }
                        kept = kept (kept == "" ? "" : sep) fl[i]
                    }
                    if (op == "mode") { print filemode; exit 0 }
                    # Already in that mode: keep the line byte for byte.
                    if (filemode == mode) { print; next }
                    if (mode == "complain") kept = kept (kept == "" ? "" : sep) "complain"
                    out = indent "profile " n
                    if (kept != "") out = out " flags=(" kept ")"
                    print out " " rest
                    next
                }
            }
        }
    }
}
op == "rewrite" { print }
END { if (!found) exit 3 }
'

# set_mode NAME MODE IN OUT: OUT = IN with the header flags set for MODE.
set_mode() {
    awk -v n="$1" -v op=rewrite -v mode="$2" "$header_awk" <"$3" >"$4"
}

# file_mode NAME FILE: prints enforce|complain|kill|unconfined|prompt, or nothing when no header.
file_mode() {
    awk -v n="$1" -v op=mode "$header_awk" <"$2" 2>/dev/null
}

# kernel_mode NAME: mode from $PA_SECFS/profiles, empty when not loaded.
kernel_mode() {
    [ -r "$PA_SECFS/profiles" ] || return 0
    awk -v n="$1" '
        substr($0, 1, length(n) + 2) == n " (" && substr($0, length($0)) == ")" {
            print substr($0, length(n) + 3, length($0) - length(n) - 3); exit
        }' "$PA_SECFS/profiles"
}

# loaded_sha1 NAME: raw_sha1 of the loaded policy whose `name` file is NAME (empty when none).
loaded_sha1() {
    for d in "$PA_SECFS"/policy/profiles/*/; do
        [ -r "${d}name" ] || continue
        ln=
        IFS= read -r ln <"${d}name" || true
        if [ "$ln" = "$1" ]; then
            [ -r "${d}raw_sha1" ] && cat "${d}raw_sha1"
            return 0
        fi
    done
}

# confined_count NAME: number of processes whose label is NAME (any mode).
confined_count() {
    # shellcheck disable=SC2013 # not reading lines of a file list
    cat /proc/[0-9]*/attr/current 2>/dev/null |
        awk -v n="$1" 'substr($0, 1, length(n) + 2) == n " (" { c++ } END { print c + 0 }'
}

# compile_sha1 FILE OUTBIN ERRFILE: compile without the kernel; prints the sha1 of the binary policy.
compile_sha1() {
    apparmor_parser -Q -K -S "$1" >"$2" 2>"$3" || return 1
    sha1_of "$2"
}

# profile_names FILE: the top-level profile names defined in FILE, one a line.
profile_names() {
    apparmor_parser -N "$1" 2>/dev/null | grep -v '//'
}

# Reboot survival. Debian's and Ubuntu's apparmor.service load only the top level of /etc/apparmor.d,
# not subdirectories such as containers/, so without this every profile we installed there is gone
# after a reboot and containers started with --security-opt apparmor=NAME (restart policies) fail to
# start. A oneshot unit, ordered after apparmor.service and before sysinit.target (so before dockerd and
# containerd), loads every profile that has a manifest, one at a time (a bad file does not keep the
# others from loading). The files hold the mode in their header flags, so modes survive as well.
PA_UNIT=/etc/systemd/system/pulumi-apparmor.service
PA_UNIT_LINK=/etc/systemd/system/sysinit.target.wants/pulumi-apparmor.service
PA_BOOT_LOADER=$PA_STATE/boot-load

boot_loader_text() {
    cat <<'EOF'
#!/bin/sh
# Written by pulumi-apparmor (run by pulumi-apparmor.service at boot): loads every profile it
# installed, one manifest each in /var/lib/pulumi-apparmor/profiles.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
rc=0
for m in /var/lib/pulumi-apparmor/profiles/*; do
    [ -f "$m" ] || continue
    name=$(sed -n 's/^name=//p' "$m" | head -n 1)
    dir=$(sed -n 's/^dir=//p' "$m" | head -n 1)
    if [ -f "$dir/$name" ]; then
        apparmor_parser -r -W -- "$dir/$name" || rc=1
    else
        echo "pulumi-apparmor: $dir/$name is missing; profile $name not loaded" >&2
        rc=1
    fi
done
exit $rc
EOF
}

boot_unit_text() {
    cat <<EOF
[Unit]
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
EOF
}

# put_file FILE PERM TEXTFN: FILE = output of TEXTFN (atomic rename) unless it already is; sets
# put_changed to true or false. Comparing through a pipe keeps an unchanged host free of any write.
# (Not meant for $(...): `fail` must end the script itself.)
put_file() {
    put_changed=false
    if "$3" | cmp -s - "$1"; then
        return 0
    fi
    t=$(mktemp "$1.XXXXXX") || fail io "cannot create a temp file beside $1"
    track_tmp "$t"
    if ! { "$3" >"$t" && chmod "$2" "$t" && mv -f "$t" "$1"; }; then
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
    mkdir -p "$PA_STATE" || fail io "cannot create $PA_STATE"
    put_file "$PA_BOOT_LOADER" 755 boot_loader_text
    put_file "$PA_UNIT" 644 boot_unit_text
    if $put_changed && ! systemctl daemon-reload >/dev/null 2>&1; then
        fail io "systemctl daemon-reload failed after writing $PA_UNIT"
    fi
    if [ ! -L "$PA_UNIT_LINK" ]; then
        systemctl enable --quiet pulumi-apparmor.service >/dev/null 2>&1 ||
            fail io "cannot enable pulumi-apparmor.service (systemctl enable)"
    fi
    boot_load=true
}

# drop_boot_load_if_unused: once no manifest is left, disable and delete the unit and its loader (a
# host we no longer manage keeps nothing of ours). Caller holds the lock.
drop_boot_load_if_unused() {
    for m in "$PA_MANIFESTS"/*; do
        [ -f "$m" ] && return 0
    done
    [ -e "$PA_UNIT" ] || [ -L "$PA_UNIT_LINK" ] || [ -e "$PA_BOOT_LOADER" ] || return 0
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --quiet pulumi-apparmor.service >/dev/null 2>&1 || true
    fi
    rm -f "$PA_UNIT_LINK" "$PA_UNIT" "$PA_BOOT_LOADER"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl daemon-reload >/dev/null 2>&1 || true
    fi
}

# write_manifest NAME DIR SHA256 MODE POLICYSHA1: atomically record what we installed.
write_manifest() {
    mkdir -p "$PA_MANIFESTS" || fail io "cannot create $PA_MANIFESTS"
    mt=$(mktemp "$PA_MANIFESTS/.$1.XXXXXX") || fail io "cannot create a temp file in $PA_MANIFESTS"
    track_tmp "$mt"
    if ! { printf 'name=%s\ndir=%s\nsha256=%s\nmode=%s\npolicySha1=%s\n' "$1" "$2" "$3" "$4" "$5" >"$mt" &&
        chmod 644 "$mt" && mv -f "$mt" "$PA_MANIFESTS/$1"; }; then
        fail io "cannot write the manifest of $1"
    fi
}

# manifest_get NAME KEY: value from the manifest, empty when absent.
manifest_get() {
    [ -f "$PA_MANIFESTS/$1" ] || return 0
    sed -n "s/^$2=//p" "$PA_MANIFESTS/$1" | head -n 1
}

# apply_profile NAME DIR NEWFILE: install NEWFILE (a temp file inside DIR, already in its final mode)
# as DIR/NAME and load it. Caller holds the lock. Steps: compile check (nothing touched on failure) →
# compare with the file and the loaded policy (identical → no write, no reload) → rename into place →
# apparmor_parser -r -W → on failure put the previous file back (the kernel keeps the previous policy:
# replacement is atomic) → manifest. Prints the result JSON.
apply_profile() {
    name=$1
    dir=$2
    new=$3
    target=$dir/$name
    bin=$new.bin
    err=$new.err
    track_tmp "$bin" "$err"

    # Temp files of runs killed hard (SIGKILL, power loss) more than an hour ago.
    find "$dir" -maxdepth 1 -name ".$name.*" -mmin +60 -exec rm -f {} + 2>/dev/null

    names=$(profile_names "$new")
    if [ "$names" != "$name" ]; then
        compile_sha1 "$new" "$bin" "$err" >/dev/null ||
            fail parse-failed "apparmor_parser rejected the profile; nothing was changed: $(cat "$err")"
        fail wrong-name "the text must define exactly one top-level profile named $name (found: $(printf '%s' "$names" | tr '\n' ' '))"
    fi
    newsha1=$(compile_sha1 "$new" "$bin" "$err") ||
        fail parse-failed "apparmor_parser rejected the profile; nothing was changed: $(cat "$err")"
    newsha256=$(sha256_of "$new")
    newmode=$(file_mode "$name" "$new")
    oldsha256=
    [ -f "$target" ] && oldsha256=$(sha256_of "$target")
    oldsha1=$(loaded_sha1 "$name")

    wrote=false
    reloaded=false
    if [ "$oldsha256" = "$newsha256" ] && [ "$oldsha1" = "$newsha1" ]; then
        rm -f "$new"
    else
        backup=
        if [ -n "$oldsha256" ] && [ "$oldsha256" != "$newsha256" ]; then
            backup=$(mktemp "$dir/.$name.bak.XXXXXX") || fail io "cannot create a backup in $dir"
            track_tmp "$backup"
            cp "$target" "$backup" || fail io "cannot back up $target"
        fi
        if [ "$oldsha256" != "$newsha256" ]; then
            if ! { chmod 644 "$new" && mv -f "$new" "$target"; }; then
                fail io "cannot rename into $target"
            fi
            wrote=true
        else
            rm -f "$new"
        fi
        if ! apparmor_parser -r -W "$target" >"$err" 2>&1; then
            msg=$(cat "$err")
            if [ -n "$backup" ]; then
                mv -f "$backup" "$target"
            elif [ -z "$oldsha256" ]; then
                rm -f "$target"
            fi
            now=$(loaded_sha1 "$name")
            if [ "$now" != "$oldsha1" ] && [ -f "$target" ]; then
                apparmor_parser -r -W "$target" >/dev/null 2>&1
            fi
            fail load-failed "the kernel rejected the profile; the previous file and policy were kept: $msg"
        fi
        reloaded=true
        loaded=$(loaded_sha1 "$name")
        [ "$loaded" = "$newsha1" ] ||
            fail verify-failed "after loading, the kernel's raw_sha1 ($loaded) differs from the compiled file ($newsha1)"
    fi
    old_manifest=$(cat "$PA_MANIFESTS/$name" 2>/dev/null)
    write_manifest "$name" "$dir" "$newsha256" "$newmode" "$newsha1"
    changed=false
    if $wrote || $reloaded; then changed=true; fi
    manifest=false
    [ "$old_manifest" = "$(cat "$PA_MANIFESTS/$name")" ] || manifest=true
    ensure_boot_load
    printf '{"ok":true,"name":"%s","dir":"%s","changed":%s,"wrote":%s,"reloaded":%s,"manifestUpdated":%s,"mode":"%s","sha256":"%s","policySha1":"%s","kernelMode":"%s","bootLoad":%s}\n' \
        "$name" "$dir" "$changed" "$wrote" "$reloaded" "$manifest" "$newmode" "$newsha256" "$newsha1" "$(kernel_mode "$name")" "$boot_load"
}
