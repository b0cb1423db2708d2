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
PA_ADOPTED=$PA_STATE/adopted
# Our own apparmor_parser cache (the boot loader's -W -L; see PA_BOOT_LOADER_TEXT).
PA_CACHE=$PA_STATE/cache
PA_SECFS=/sys/kernel/security/apparmor
PA_SCRIPT=${0##*/}
# Seconds each apparmor_parser step may take (option timeout=N of install, mode, status and remove).
PA_TIMEOUT=120
# The words of apparmor_parser's own messages (its format strings, kernel load errors, errno texts):
# parser_message keeps these and the client's own words, and masks every other word.
PA_PARSER_WORDS='t ASSERT Aborting Addition AppArmor Argument Bad Cache Cached Caching Can Cannot Could Device Dump
ERROR Empty Error Errors Exceeded Failed File Found Function INVALID Ignoring Input Internal Invalid
Lexer Local Multiple Name Namespace No Operation Optimize Option Permission Profile Protocol RLIMIT
Referenced Regex Removal Replacement Resource Skipping Sorry The There To Too Unable Unclosed
Unknown Unset Usage Variable Warning Werror Wrote You aare abi access actions add added adding
additional addr alias allocate allowed already always an apparmor apparmor_parser argument assigned
assignment at attempted attr back bad bailing basedir be been being between boolean busy but by
cache cacheloc cachename can cannot capability capping changehat character class clear close command
complain conditional config confined conflicting conflicts conform contain context cpus create
current currently dbus debug declaration declared default defined definitions delete delete_set_var
deleting denied detected device differs directory disable disabled does doesn due duplicate end
enforced entire entry equal error escape exist exists expanded expanding expected expecting
expression failed failure falling false feature features file files find flag flags for force
forcing found from fs fstat get given got group grouping has hat have header help hit id if
implemented in include included input internal invalid is isn it items jobs kernel keyword label
least left line link list load loading location long longopt looking many match matching maximum
memory merged merges merging message minimum miss missing mode modifiers mount mounted mtime name
named names namespace need nesting network never newer no not number of on once one only open option
options or out output overriding parse parser parsing path peer permitted pivotroot policy policydb
popped prefix previously primary privileges proc process processing profile profiles program
protocol ptrace range read readonly recursively reference referenced references regexs regular
reload remove replace resource root rule rules run search seenlist set setting setuid setup should
shouldn signal signature single size skipped skipping socket space specified stacking state stdin
stdout succeeded such suitable support supported supports symbol syntax table tdelete temporarily
terminated tfind than the this to too trailing transition transitions true type unable unavailable
undefined unexpected unix unknown up update use used using valid value values var variable variables
version via warn was when which while with without write wrong'
PA_TMPS=
PA_WORKS=

# json_str: stdin → one JSON string literal (quotes included). Control characters other than newline
# and tab are dropped, tabs become spaces, newlines become \n.
json_str() {
    tr -d '\000-\010\013-\037' | tr '\t' ' ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' |
        awk 'BEGIN { printf "\"" } { if (NR > 1) printf "\\n"; printf "%s", $0 } END { printf "\"" }'
}

# parser_message ERRFILE SRC: apparmor_parser's messages in ERRFILE, reduced to what cannot quote a
# file the client could not read (the parser runs as root and may have read included files):
#  - a message located in SRC, the text the client sent: kept, as "line N: MESSAGE";
#  - a message located in any other (included) file: only "line N of included file FILE", the message withheld
#    (the lexer quotes bytes of the file, e.g. the first character of a root-only key);
#  - any other line: each word is kept only when it is one of the parser's own message words or a
#    word of SRC, else replaced by "…".
# At most 20 lines of at most 300 bytes. Prints nothing when ERRFILE is empty.
parser_message() {
    awk -v src="$2" -v vocab="$PA_PARSER_WORDS" '
function words_ok(w,    n, parts, i) {
    if (w !~ /[A-Za-z0-9_]/) return w == "-" || w == "->" || w == "="
    n = split(w, parts, /[^A-Za-z0-9_]+/)
    for (i = 1; i <= n; i++)
        if (parts[i] != "" && !(parts[i] in voc) && !(parts[i] in own) && parts[i] !~ /^TOK_[A-Z_]+$/) return 0
    return 1
}
function masked(line,    n, ws, i, out) {
    n = split(line, ws, /[ \t]+/)
    out = ""
    for (i = 1; i <= n; i++) {
        if (ws[i] == "") continue
        out = out (out == "" ? "" : " ") (words_ok(ws[i]) ? ws[i] : "…")
    }
    return out
}
function emit(s) {
    if (++count > 20) return
    print substr(s, 1, 300)
}
BEGIN {
    n = split(vocab, v, /[ \n]+/)
    for (i = 1; i <= n; i++) voc[v[i]] = 1
    while ((getline l < src) > 0) {
        m = split(l, t, /[^A-Za-z0-9_]+/)
        for (i = 1; i <= m; i++) if (t[i] != "") own[t[i]] = 1
    }
    close(src)
    pe = "AppArmor parser error for " src
    wf = "Warning from " src " ("
}
{
    gsub(/[\001-\010\013-\037\177]/, "")
    if (index($0, pe) == 1) {
        rest = substr($0, length(pe) + 1)
        cur = src
        if (substr(rest, 1, 12) == " in profile ") { rest = substr(rest, 13); cur = "" }
        else if (substr(rest, 1, 4) == " in ") { rest = substr(rest, 5); cur = "" }
        if (match(rest, / at line [0-9]+: /)) {
            if (cur == "") cur = substr(rest, 1, RSTART - 1)
            ln = substr(rest, RSTART + 9, RLENGTH - 11)
            msg = substr(rest, RSTART + RLENGTH)
            if (cur == src) emit("line " ln ": " msg)
            else emit("line " ln " of included file " cur ": (message withheld: it may quote that file)")
            next
        }
    }
    if (index($0, wf) == 1) {
        rest = substr($0, length(wf) + 1)
        if (match(rest, /line [0-9]+\): /)) {
            cur = substr(rest, 1, RSTART - 1)
            sub(/ $/, "", cur)
            ln = substr(rest, RSTART + 5, RLENGTH - 8)
            msg = substr(rest, RSTART + RLENGTH)
            if (cur == "" || cur == src) emit("warning, line " ln ": " msg)
            else emit("warning, line " ln " of included file " cur ": (message withheld: it may quote that file)")
            next
        }
    }
    if ($0 != "") emit(masked($0))
}
END { if (count > 20) print "(" count - 20 " more lines)" }
' "$1"
}

# fail CODE MESSAGE [EXIT [JSON]]: JSON error line on stdout (plus the fields JSON, our own text,
# e.g. '"processes":2'), human line on stderr, exit.
fail() {
    printf '{"ok":false,"error":"%s","message":%s%s}\n' "$1" "$(printf '%s' "$2" | json_str)" "${4:+,$4}"
    printf '%s: %s\n' "$PA_SCRIPT" "$2" >&2
    exit "${3:-1}"
}

usage() {
    fail usage "usage: $PA_SCRIPT $1" 2
}

cleanup() {
    if [ -n "$PA_TMPS$PA_WORKS" ]; then
        # shellcheck disable=SC2086 # our own mktemp paths (no spaces: validated directory and name)
        rm -rf $PA_TMPS $PA_WORKS
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

# valid_dir DIR: a directory below /etc/apparmor.d, normalised (no `.`/`..`/empty/hidden components,
# no trailing `/`), safe characters, not one of AppArmor's own trees (abstractions, tunables, local,
# abi, disable, force-complain, cache, or a `*.d` include directory), where a file of ours would be
# included into, or change, other profiles. Same rule as validateHostDirectory in index.ts.
valid_dir() {
    case $1 in
        /etc/apparmor.d/?*) ;;
        *) return 1 ;;
    esac
    case $1 in
        */ | *//* | */.* | *[!A-Za-z0-9._/+-]*) return 1 ;;
    esac
    vd_first=${1#/etc/apparmor.d/}
    vd_first=${vd_first%%/*}
    case $vd_first in
        abi | abstractions | cache | disable | force-complain | local | tunables | *.d) return 1 ;;
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
    valid_dir "$1" || fail bad-dir "invalid directory: it must be below /etc/apparmor.d (e.g. /etc/apparmor.d/containers), normalised, of characters [A-Za-z0-9._/+-], and not abstractions, tunables, local, abi, disable, force-complain, cache or a *.d directory" 2
}

# check_seconds OPTION VALUE MAX: VALUE is a whole number of seconds from 0 to MAX.
check_seconds() {
    case $2 in
        '' | *[!0-9]*) fail bad-option "$1 must be a whole number of seconds" 2 ;;
    esac
    if [ "${#2}" -gt 5 ] || [ "$2" -gt "$3" ]; then
        fail bad-option "$1 must be at most $3 seconds" 2
    fi
}

# set_timeout N: the per-step timeout of apparmor_parser (option timeout=N), 1 to 3600 s.
set_timeout() {
    check_seconds timeout "$1" 3600
    [ "$1" -ge 1 ] || fail bad-option "timeout must be at least 1 second" 2
    PA_TIMEOUT=$1
}

# safe_dir DIR: every existing component of DIR (from /etc down) is a real directory (not a symlink),
# owned by root and not writable by group or others, so nobody but root can swap what we write into.
# Checked before anything is written (one `find` for all components).
safe_dir() {
    sd_list=
    sd_path=
    sd_rest=${1#/}
    while [ -n "$sd_rest" ]; do
        sd_path=$sd_path/${sd_rest%%/*}
        case $sd_rest in
            */*) sd_rest=${sd_rest#*/} ;;
            *) sd_rest= ;;
        esac
        if [ -e "$sd_path" ] || [ -L "$sd_path" ]; then
            sd_list="$sd_list $sd_path"
        fi
    done
    # shellcheck disable=SC2086 # validated directory: no spaces or glob characters
    sd_bad=$(find $sd_list -prune \( -type l -o ! -type d -o ! -user 0 -o -perm -020 -o -perm -002 \) -print 2>&1) ||
        fail io "cannot check the directory $1: $sd_bad"
    [ -z "$sd_bad" ] || fail unsafe-dir "$(printf '%s' "$sd_bad" | head -n 1) is a symlink, not a directory, not owned by root, or writable by group or others; nothing was changed. Fix: chown root:root and chmod go-w it (or choose another directory below /etc/apparmor.d)"
}

# check_target FILE: FILE is absent or a regular file (not a symlink, directory, FIFO or device): the
# profile file is only ever replaced by an atomic rename of a regular file of ours.
check_target() {
    if [ -L "$1" ] || { [ -e "$1" ] && [ ! -f "$1" ]; }; then
        fail bad-target "$1 exists and is not a regular file (a directory, symlink, FIFO or device); nothing was changed. Remove it or choose another profile name"
    fi
}

# is_root: the shell's real uid is 0, read from /proc/self/status by builtins (every process started
# costs ~0.1 s on a slow host; `id -u` was one of ~60 per install). Falls back to `id -u` without /proc.
is_root() {
    if [ -r /proc/self/status ]; then
        while read -r k v _; do
            [ "$k" = Uid: ] && { [ "$v" = 0 ]; return; }
        done </proc/self/status
    fi
    [ "$(id -u)" = 0 ]
}

need_root() {
    is_root || fail not-root "must run as root (connect as root or use passwordless sudo)"
}

need_parser() {
    command -v apparmor_parser >/dev/null 2>&1 ||
        fail no-parser "apparmor_parser not found; fix: apt-get install apparmor"
    command -v timeout >/dev/null 2>&1 ||
        fail no-timeout "timeout (coreutils) not found; fix: apt-get install coreutils"
}

# run_parser ARGS...: apparmor_parser ARGS under `timeout` (TERM after $PA_TIMEOUT s, KILL 5 s later)
# and without the lock descriptor (fd 9) or our stdin: a parser blocked on an included FIFO or device
# ends, and never keeps the host lock. Status 124 or 137: timed out (see timed_out).
run_parser() {
    timeout -k 5 "$PA_TIMEOUT" apparmor_parser "$@" 9>&- </dev/null
}

# timed_out STATUS: STATUS is what `timeout` returns for a command it had to stop.
timed_out() {
    [ "$1" -eq 124 ] || [ "$1" -eq 137 ]
}

# fail_timeout STEP: the parser step STEP (e.g. "compile (apparmor_parser -Q)") did not finish.
fail_timeout() {
    fail parse-timeout "$1 did not finish within $PA_TIMEOUT s and was stopped (does the profile include a FIFO, device or other file that never ends?); nothing was changed"
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

# kernel_mode_var NAME: sets pa_kmode to NAME's mode from $PA_SECFS/profiles (builtins only), empty
# when not loaded. kernel_mode NAME prints it.
kernel_mode_var() {
    pa_kmode=
    [ -r "$PA_SECFS/profiles" ] || return 0
    while IFS= read -r ln; do
        case $ln in
            "$1 ("*")")
                pa_kmode=${ln#"$1 ("}
                pa_kmode=${pa_kmode%")"}
                return 0
                ;;
        esac
    done <"$PA_SECFS/profiles"
}
kernel_mode() {
    kernel_mode_var "$1"
    [ -z "$pa_kmode" ] || printf '%s\n' "$pa_kmode"
}

# loaded_sha1_var NAME: sets pa_lsha1 to the raw_sha1 of the loaded policy whose `name` file is NAME
# and pa_ldir to its directory in securityfs (both empty when none), builtins only. loaded_sha1 NAME
# prints the sha1.
loaded_sha1_var() {
    pa_lsha1=
    pa_ldir=
    for d in "$PA_SECFS"/policy/profiles/*/; do
        [ -r "${d}name" ] || continue
        ln=
        IFS= read -r ln <"${d}name" || true
        if [ "$ln" = "$1" ]; then
            pa_ldir=${d%/}
            [ -r "${d}raw_sha1" ] && { IFS= read -r pa_lsha1 <"${d}raw_sha1" || true; }
            return 0
        fi
    done
}
loaded_sha1() {
    loaded_sha1_var "$1"
    [ -z "$pa_lsha1" ] || printf '%s\n' "$pa_lsha1"
}

# confined_count NAME: number of processes whose label is NAME or one of its children (any mode).
confined_count() {
    # shellcheck disable=SC2013 # not reading lines of a file list
    cat /proc/[0-9]*/attr/current 2>/dev/null |
        awk -v n="$1" 'substr($0, 1, length(n) + 2) == n " (" || substr($0, 1, length(n) + 2) == n "//" { c++ } END { print c + 0 }'
}

# compile_sha1 FILE OUTBIN ERRFILE: compile without the kernel (under the parser timeout); prints the
# sha1 of the binary policy. Returns the parser's status (124/137: timed out).
compile_sha1() {
    cs_rc=0
    run_parser -Q -K -S "$1" >"$2" 2>"$3" || cs_rc=$?
    [ "$cs_rc" -eq 0 ] || return "$cs_rc"
    sha1_of "$2"
}

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
    if $put_changed && ! systemctl daemon-reload >/dev/null 2>&1 9>&-; then
        fail io "systemctl daemon-reload failed after writing $PA_UNIT"
    fi
    if [ ! -L "$PA_UNIT_LINK" ]; then
        systemctl enable --quiet pulumi-apparmor.service >/dev/null 2>&1 9>&- ||
            fail io "cannot enable pulumi-apparmor.service (systemctl enable)"
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
        systemctl disable --quiet pulumi-apparmor.service >/dev/null 2>&1 9>&- || true
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

# apply_profile NAME DIR NEWFILE NEWMODE [INPUT INSHA256]: install NEWFILE (in this run's work dir,
# already in its final mode NEWMODE, or "" to read it from the header) as DIR/NAME and load it. When
# INPUT is given, its sha256 must be INSHA256 (a cut SSH connection cannot install a truncated text).
# $pa_adopt (true|false) allows replacing a file or loaded policy we did not install (see Adoption).
# Caller holds the lock. Prints the result JSON. Steps:
#   1. one sha256sum of (input,) new file and current file;
#   2. ownership: DIR/NAME must be absent or ours (our manifest records it in DIR), a loaded policy
#      NAME must be ours (a manifest of ours exists), else it is refused unless adopting;
#   3. unchanged: the current file is byte for byte the new one, the manifest says it was compiled to
#      the policy the kernel has loaded now (raw_sha1) → nothing is compiled, written or loaded;
#   4. otherwise ONE compile (apparmor_parser -Q -K -S, nothing touched on failure), with the name
#      check (-N) running beside it, both under the parser timeout and without the lock descriptor;
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

    files="$new"
    [ -n "${5:-}" ] && files="$5 $files"
    [ -f "$target" ] && files="$files $target"
    # shellcheck disable=SC2086 # our own paths: validated directory and name, mktemp names
    sums=$(sha256sum -- $files) || fail io "cannot read $files"
    if [ -n "${5:-}" ]; then
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
    oldkmode=$pa_kmode
    loaded_sha1_var "$name"
    oldsha1=$pa_lsha1
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

    wrote=false
    reloaded=false
    adopted=false
    if [ -n "$oldsha1" ] && [ "$oldsha256" = "$newsha256" ] && [ "$m_sha256" = "$newsha256" ] &&
        [ "$m_policySha1" = "$oldsha1" ] && [ "$m_dir" = "$dir" ]; then
        # Step 3: the file and the loaded policy are exactly what an earlier run compiled and
        # verified (the same rule `status` uses).
        newsha1=$oldsha1
    else
        # A NUL byte is no part of a profile, and the parser accepts some (inside a path).
        # shellcheck disable=SC2094 # both only read $new
        tr -d '\000' <"$new" | cmp -s - "$new" ||
            fail nul-byte "the profile text contains NUL bytes; nothing was changed"
        run_parser -N "$new" >"$names_f" 2>/dev/null 9>&- &
        npid=$!
        crc=0
        run_parser -Q -K -S "$new" >"$bin" 2>"$err" || crc=$?
        nrc=0
        wait "$npid" || nrc=$?
        timed_out "$crc" && fail_timeout "compile (apparmor_parser -Q)"
        [ "$crc" -eq 0 ] ||
            fail parse-failed "apparmor_parser rejected the profile; nothing was changed: $(parser_message "$err" "$new")"
        timed_out "$nrc" && fail_timeout "name check (apparmor_parser -N)"
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
    printf '{"ok":true,"name":"%s","dir":"%s","changed":%s,"wrote":%s,"reloaded":%s,"manifestUpdated":%s,"adopted":%s,"mode":"%s","sha256":"%s","policySha1":"%s","kernelMode":"%s","bootLoad":%s}\n' \
        "$name" "$dir" "$changed" "$wrote" "$reloaded" "$manifest" "$adopted" "$newmode" "$newsha256" "$newsha1" "$pa_kmode" "$boot_load"
}
