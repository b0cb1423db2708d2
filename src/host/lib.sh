# pulumi-apparmor host library: shared by every host script.
#
# src/host/index.ts sends `lib.sh` (+ `lib-store.sh` for the scripts that use it) + `<script>.sh` as
# ONE text to `sh -c` (see buildHostCommand), so this file defines functions and constants only and
# runs nothing by itself. POSIX sh + coreutils (+ awk,
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
# shellcheck disable=SC2034 # used by lib-store.sh and some scripts, not by every text sent
PA_MANIFESTS=$PA_STATE/profiles
PA_LOCK=$PA_STATE/lock
# shellcheck disable=SC2034 # used by lib-store.sh
PA_ADOPTED=$PA_STATE/adopted
# Our own apparmor_parser cache (the boot loader's -W -L; see PA_BOOT_LOADER_TEXT in lib-store.sh).
# shellcheck disable=SC2034 # used by lib-store.sh
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
# set by abi_facts (empty: not asked)
# shellcheck disable=SC2034 # read by lib-store.sh's apply_profile
PA_HOST_ABI=

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
    # Background reads that write into a work directory (PA_WAITS) end before it is removed.
    if [ -n "${PA_WAITS:-}" ]; then
        # shellcheck disable=SC2086 # our own job numbers
        wait $PA_WAITS 2>/dev/null
    fi
    if [ -n "$PA_TMPS$PA_WORKS" ]; then
        # shellcheck disable=SC2086 # our own mktemp paths (no spaces: validated directory and name)
        rm -rf $PA_TMPS $PA_WORKS
    fi
}

# first COUNT FN ARG…: FN with its first COUNT ARGs (the rest dropped: the next parts of
# read or installs, which run other scripts as parts).
first() {
    fp_count=$1
    fp_fn=$2
    shift 2
    fp_k=$#
    fp_j=0
    while [ "$fp_j" -lt "$fp_k" ]; do
        [ "$fp_j" -lt "$fp_count" ] && set -- "$@" "$1"
        shift
        fp_j=$((fp_j + 1))
    done
    "$fp_fn" "$@"
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

# timeout_options ARG...: the options of a script whose only option is timeout=SECONDS.
timeout_options() {
    for o in "$@"; do
        case $o in
            timeout=*) set_timeout "${o#timeout=}" ;;
            *) fail bad-option "unknown option (allowed: timeout=SECONDS)" 2 ;;
        esac
    done
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
    [ -r /sys/module/apparmor/parameters/enabled ] &&
        { IFS= read -r en </sys/module/apparmor/parameters/enabled; } 2>/dev/null
    [ "$en" = Y ]
}

need_apparmor() {
    apparmor_enabled || fail apparmor-disabled "AppArmor is not enabled in the kernel; run preflight for the fix"
    [ -d "$PA_SECFS/policy" ] || fail no-securityfs "securityfs is not mounted at /sys/kernel/security; fix: mount -t securityfs securityfs /sys/kernel/security"
}

# take_lock: host-wide exclusive lock held until the script exits or calls release_lock (fd 9).
take_lock() {
    [ -d "$PA_STATE" ] || mkdir -p "$PA_STATE" || fail io "cannot create $PA_STATE"
    exec 9>>"$PA_LOCK" || fail io "cannot open $PA_LOCK"
    flock -w 300 9 || fail lock-timeout "another pulumi-apparmor change held $PA_LOCK for 300 s"
}

# release_lock: gives the lock up before the script exits (what follows only reads).
release_lock() {
    exec 9>&-
}

# sha256_of FILE / sha1_of FILE: hex digest only.
sha256_of() {
    pa_d=$(sha256sum <"$1") || return 1
    printf '%s\n' "${pa_d%%" "*}"
}
sha1_of() {
    pa_d=$(sha1sum <"$1") || return 1
    printf '%s\n' "${pa_d%%" "*}"
}

# header_awk: awk program over a profile text with -v n=NAME -v op=rewrite|mode [-v mode=M].
# Finds the first line `[ws]profile NAME [flags=](FLAGS) {…`. op=rewrite prints the text with that line
# unchanged when the profile is already in `mode`, else with the mode flags (enforce, complain, kill,
# unconfined, prompt) removed from FLAGS and `complain` appended when mode=complain (separator style ","
# or ", " kept); op=mode prints the file's mode. Exit 3 when the header is absent. op=rewrite also
# looks at every line for a NUL byte: exit 4 when it found one (the output is complete), 5 when this
# awk cannot hold a NUL in a string (mawk 1.3.4 and gawk can; then the caller checks by other means).
# shellcheck disable=SC2016 # awk program, not shell expansion
header_awk='
BEGIN { nul = sprintf("%c", 0); if (length(nul) != 1) nul = "" }
op == "rewrite" && !z && nul != "" && index($0, nul) { z = 1 }
function mode_flag(f) {
    return f == "enforce" || f == "complain" || f == "kill" || f == "unconfined" || f == "prompt"
}
op == "modes" && FNR == 1 {
    found = 0
    n = FILENAME
    sub(/.*\//, "", n)
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
                    if (op == "modes") { fm[FILENAME] = filemode; next }
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
END {
    if (op == "modes") {
        for (i = 1; i < ARGC; i++) print fm[ARGV[i]]
        exit 0
    }
    if (!found) exit 3
    if (op == "rewrite" && nul == "") exit 5
    if (z) exit 4
}
'

# set_mode NAME MODE IN OUT: OUT = IN with the header flags set for MODE; returns 3 when IN has no
# header (another status: awk failed). Sets pa_nul to yes or no when the same awk pass could tell whether IN holds a NUL byte (OUT
# then holds one exactly when IN does: the rewrite only replaces mode words in the header), else
# leaves it empty (see apply_profile): no process of its own for the NUL check.
# shellcheck disable=SC2034 # pa_nul: read by lib-store.sh's apply_profile
set_mode() {
    pa_nul=
    sm_rc=0
    awk -v n="$1" -v op=rewrite -v mode="$2" "$header_awk" <"$3" >"$4" || sm_rc=$?
    case $sm_rc in
        0) pa_nul=no ;;
        4) pa_nul=yes ;;
        5) ;;
        *) return "$sm_rc" ;;
    esac
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
# and pa_ldir to its directory in securityfs (both empty when none); loaded_sha1 NAME prints the sha1.
# Builtins only where the kernel has raw_sha1. Kernels that hash policy with sha256 only (Debian 13's
# 6.12: raw_sha256, no raw_sha1) get the sha1 of raw_data, the loaded blob itself: the value raw_sha1
# holds elsewhere.
loaded_sha1_var() {
    pa_lsha1=
    pa_ldir=
    for d in "$PA_SECFS"/policy/profiles/*/; do
        [ -r "${d}name" ] || continue
        ln=
        IFS= read -r ln <"${d}name" || true
        if [ "$ln" = "$1" ]; then
            # shellcheck disable=SC2034 # read by lib-store.sh's apply_profile
            pa_ldir=${d%/}
            if [ -r "${d}raw_sha1" ]; then
                IFS= read -r pa_lsha1 <"${d}raw_sha1" || true
            elif [ -r "${d}raw_data" ]; then
                pa_lsha1=$(sha1_of "${d}raw_data") || pa_lsha1=
            fi
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

