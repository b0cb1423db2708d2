# lib-log.sh — the host's AppArmor log: which source to read and its current end position. Sourced
# (after lib.sh) by denials, which reads it, and by install, whose `prior` option takes the position
# before a change so that a rollout reads exactly the lines the new version caused.

# has_journal: the systemd journal is running and journalctl exists.
has_journal() {
    command -v journalctl >/dev/null 2>&1 && [ -d /run/systemd/journal ]
}
# has_audit_socket: journald's audit socket is active (audit records will land in the journal even
# when none has been logged yet).
has_audit_socket() {
    has_journal && command -v systemctl >/dev/null 2>&1 &&
        systemctl is-active --quiet systemd-journald-audit.socket 2>/dev/null
}

# last_cursor MATCH: cursor of the newest journal entry matching MATCH (empty when none): the value
# of the last line `-- cursor: VALUE` journalctl prints, only the characters [A-Za-z0-9=;_-] kept.
# One process (journalctl), the line found by the shell: each process started costs ~0.1 s on a slow
# host, and a rollout takes this position beside its compile.
last_cursor() {
    lc_out=$(journalctl -q -n 1 --show-cursor -o cat "$1" 2>/dev/null) || true
    lc_out="
$lc_out"
    case $lc_out in
        *"
-- cursor: "*)
            lc_c=${lc_out##*"
-- cursor: "}
            lc_c=${lc_c%%"
"*}
            ;;
        *) return 0 ;;
    esac
    case $lc_c in
        *[!A-Za-z0-9=\;_-]*) printf '%s' "$lc_c" | tr -cd 'A-Za-z0-9=;_-' ;;
        *) printf '%s' "$lc_c" ;;
    esac
}

# log_source_var WANT: sets pa_lsrc to the log source to read (WANT itself unless auto; auto takes
# the first available of: the journal's audit transport, auditd's log, the journal's kernel
# transport, kern.log) and pa_alast to the newest audit-transport cursor when auto found the source
# by it (empty otherwise). Returns 1 when auto finds no source.
log_source_var() {
    pa_lsrc=$1
    pa_alast=
    [ "$pa_lsrc" = auto ] || return 0
    # Entries of the audit transport exist (every profile load writes one): it is the source, and
    # systemd need not be asked whether its socket is active (for a position: one journalctl run
    # instead of systemctl and two journalctl runs).
    if has_journal && pa_alast=$(last_cursor _TRANSPORT=audit) && [ -n "$pa_alast" ]; then
        pa_lsrc=journal-audit
    elif has_audit_socket; then
        pa_lsrc=journal-audit
    elif [ -r /var/log/audit/audit.log ]; then
        pa_lsrc=auditlog
    elif has_journal; then
        pa_lsrc=journal-kernel
    elif [ -r /var/log/kern.log ]; then
        pa_lsrc=kernlog
    else
        pa_lsrc=
        return 1
    fi
}

# log_end_var SOURCE: sets pa_lend to the position at the end of SOURCE's log, in the form denials
# takes as CURSOR: journal:CURSOR (start when the journal has no entry of the source yet) or
# SOURCE:INODE:SIZE for the files. Uses pa_alast from log_source_var when set. Returns 1 when the
# log cannot be read.
log_end_var() {
    pa_lend=
    case $1 in
        journal-audit | journal-kernel)
            has_journal || return 1
            pa_c=
            if [ "$1" = journal-audit ]; then
                pa_c=$pa_alast
                [ -n "$pa_c" ] || pa_c=$(last_cursor _TRANSPORT=audit)
            else
                pa_c=$(last_cursor _TRANSPORT=kernel)
            fi
            if [ -n "$pa_c" ]; then pa_lend=journal:$pa_c; else pa_lend=start; fi
            ;;
        kernlog | auditlog)
            pa_f=/var/log/audit/audit.log
            [ "$1" = auditlog ] || pa_f=/var/log/kern.log
            [ -r "$pa_f" ] || return 1
            pa_s=$(stat -c '%i:%s' "$pa_f") || return 1
            # shellcheck disable=SC2034 # read by the scripts
            pa_lend=$1:$pa_s
            ;;
        *) return 1 ;;
    esac
}

# empty_header CURSOR: prints the header of an empty read_log result.
empty_header() {
    printf '{"ok":true,"source":"%s","format":"%s","cursor":"%s","lines":0,"bytes":0,"suppressed":0,"truncated":false,"cursorReset":%s}\n' \
        "$pa_src" "$pa_format" "$1" "$pa_reset"
}

# read_log CURSOR MAXBYTES SOURCE [UNTIL]: prints the records of SOURCE after CURSOR (up to the journal
# entry UNTIL, see denials.sh; CURSOR and UNTIL checked by the
# caller), at most MAXBYTES, in the output form `denials` documents: a header line, then the lines.
read_log() {
    pa_cursor=$1
    pa_max=$2
    pa_src=$3
    pa_until=${4:-}
    pa_until=${pa_until#journal:}
    if [ -n "${pa_work:-}" ]; then
        # install's private work directory (removed on exit): no mktemp process
        pa_out=$pa_work/log-lines
        : >"$pa_out" || fail io "cannot create $pa_out"
    else
        pa_out=$(mktemp) || fail io "cannot create a temp file"
        track_tmp "$pa_out"
    fi
    pa_reset=false

    case $pa_src in
        journal-*) pa_format=journal-json ;;
        *) pa_format=text ;;
    esac


    case $pa_src in
        journal-audit | journal-kernel)
            has_journal || fail no-source "the systemd journal is not available on this host"
            pa_jc=
            case $pa_cursor in
                journal:*) pa_jc=${pa_cursor#journal:} ;;
                start) ;;
                now) ;;
                *) pa_reset=true ;;
            esac
            if [ "$pa_src" = journal-audit ]; then
                pa_match=_TRANSPORT=audit
                pa_kind=audit
            else
                pa_match=_TRANSPORT=kernel
                pa_kind=kernel
            fi
            if [ "$pa_cursor" = now ]; then
                # The newest entry OF THIS SOURCE: a cursor of another journal file (e.g. a user journal,
                # other seqnum id) makes --after-cursor skip entries.
                log_end_var "$pa_src" || fail no-source "the systemd journal is not available on this host"
                # shellcheck disable=SC2154 # pa_lend: set by log_end_var (lib-log.sh)
                empty_header "$pa_lend"
                return 0
            fi
            if [ -n "$pa_jc" ] && [ "$pa_jc" = "$pa_until" ]; then
                # already at UNTIL: nothing to read (--after-cursor would read past it to the end)
                empty_header "journal:$pa_jc"
                return 0
            fi
            if [ -n "$pa_jc" ]; then set -- "$pa_match" --after-cursor "$pa_jc"; else set -- "$pa_match"; fi
            # One JSON object per entry and line (journald escapes newlines and quotes in values, so a
            # `,"KEY":"` or `{"KEY":"` can only be a field of the entry). --all: without it journalctl
            # prints fields over 4096 bytes as null. The trailing __PA_RC line reports a journalctl
            # failure (e.g. a malformed cursor) to awk.
            # shellcheck disable=SC2016 # awk program
            pa_header=$({
                journalctl -q -o json --all \
                    --output-fields=MESSAGE,_AUDIT_TYPE,_AUDIT_ID,_SOURCE_REALTIME_TIMESTAMP,SYSLOG_FACILITY \
                    "$@" 2>/dev/null || printf '\n__PA_RC=%s\n' "$?"
            } | awk -v kind="$pa_kind" -v max="$pa_max" -v out="$pa_out" -v src="$pa_src" -v cur="$pa_jc" -v reset="$pa_reset" -v until="$pa_until" '
                # field(NAME): the value of the plain string field NAME (no escapes in it), or ""
                function field(name) {
                    if (!match($0, "[{,]\"" name "\":\"[^\"\\\\]*\"")) return ""
                    return substr($0, RSTART + length(name) + 5, RLENGTH - length(name) - 6)
                }
                # message(): MESSAGE as the JSON string literal journalctl wrote (quotes included), or ""
                function message() {
                    if (!match($0, /[{,]"MESSAGE":"([^"\\]|\\.)*"/)) return ""
                    return substr($0, RSTART + 11, RLENGTH - 11)
                }
                function emit(line) {
                    if (bytes + length(line) + 1 > max) { stop = 1; trunc = 1; return 0 }
                    print line > out
                    bytes += length(line) + 1
                    n++
                    return 1
                }
                BEGIN { max += 0 }
                /^__PA_RC=/ { failed = substr($0, 9); next }
                stop || !/^[{]/ { next }
                {
                    ecur = field("__CURSOR")
                    if (ecur == "") next
                    line = ""
                    if (kind == "kernel") {
                        if (field("SYSLOG_FACILITY") == "0") {
                            if (match($0, /[{,]"MESSAGE":"kauditd_printk_skb: [0-9]+ callbacks suppressed"/))
                                sup += substr($0, RSTART + 32) + 0
                            else if (match($0, /[{,]"MESSAGE":"audit: type=(1400|150[1-7]) audit[(]/) &&
                                index($0, "apparmor=") > 0)
                                line = "{\"m\":" message() "}"
                        }
                    } else {
                        t = field("_AUDIT_TYPE")
                        if (t ~ /^(1400|150[1-7])$/ && index($0, "apparmor=") > 0) {
                            id = field("_AUDIT_ID")
                            ts = field("_SOURCE_REALTIME_TIMESTAMP")
                            if (id ~ /^[0-9]+$/ && ts ~ /^[0-9]+$/)
                                line = "{\"m\":" message() ",\"t\":\"" t "\",\"i\":\"" id "\",\"s\":\"" ts "\"}"
                        }
                    }
                    # an entry taken as a line: its MESSAGE must have been found
                    if (line != "" && index(line, "{\"m\":\"") != 1) line = ""
                    if (line == "" || emit(line)) cur = ecur
                    # UNTIL: end this read at that entry (a refresh aligns its reads on one position)
                    if (until != "" && ecur == until) stop = 1
                }
                END {
                    if (failed != "") { print "FAILED " failed; exit 0 }
                    gsub(/[^A-Za-z0-9=;_-]/, "", cur)
                    printf "{\"ok\":true,\"source\":\"%s\",\"format\":\"journal-json\",\"cursor\":\"%s\",\"lines\":%d,\"bytes\":%d,\"suppressed\":%d,\"truncated\":%s,\"cursorReset\":%s}\n", src, (cur == "" ? "" : "journal:" cur), n, bytes, sup, (trunc ? "true" : "false"), reset
                }')
            case $pa_header in
                FAILED*)
                    fail journal-failed "journalctl failed (exit ${pa_header#FAILED }); a malformed or foreign cursor? Call again with start or now"
                    ;;
            esac
            case $pa_header in
                *'"cursor":""'*)
                    # No entry of this source yet: the next call starts from the beginning.
                    pa_header=$(printf '%s' "$pa_header" | sed 's/"cursor":""/"cursor":"start"/')
                    ;;
            esac
            ;;
        kernlog | auditlog)
            if [ "$pa_src" = kernlog ]; then pa_lf=/var/log/kern.log; else pa_lf=/var/log/audit/audit.log; fi
            [ -r "$pa_lf" ] || fail no-source "$pa_lf does not exist or is not readable"
            pa_inode=$(stat -c %i "$pa_lf") || fail io "cannot stat $pa_lf"
            pa_size=$(stat -c %s "$pa_lf") || fail io "cannot stat $pa_lf"
            pa_off=0
            case $pa_cursor in
                "$pa_src":*)
                    pa_ci=${pa_cursor#"$pa_src":}
                    pa_co=${pa_ci#*:}
                    pa_ci=${pa_ci%%:*}
                    case $pa_ci$pa_co in
                        '' | *[!0-9]*) pa_reset=true ;;
                        *)
                            if [ "$pa_ci" = "$pa_inode" ] && [ "$pa_co" -le "$pa_size" ]; then pa_off=$pa_co; else pa_reset=true; fi
                            ;;
                    esac
                    ;;
                now) pa_off=$pa_size ;;
                start) ;;
                *) pa_reset=true ;;
            esac
            if [ "$pa_off" -ge "$pa_size" ]; then
                empty_header "$pa_src:$pa_inode:$pa_size"
                return 0
            fi
            pa_len=$((pa_size - pa_off))
            pa_partial=0
            [ "$(tail -c +"$pa_size" "$pa_lf" | od -An -c | tr -d ' ')" = '\n' ] || pa_partial=1
            # kernlog: the line before the cursor, so that a continuation line at the start of this read
            # is recognised (a printk record is at most 1 KiB; 16 KiB of look-back is ample).
            pa_prev=
            if [ "$pa_src" = kernlog ] && [ "$pa_off" -gt 0 ]; then
                pa_back=16384
                [ "$pa_off" -ge "$pa_back" ] || pa_back=$pa_off
                pa_prev=$(tail -c +"$((pa_off - pa_back + 1))" "$pa_lf" | head -c "$pa_back" | tail -n 1)
            fi
            # shellcheck disable=SC2016 # awk program
            pa_header=$({
                if [ -n "$pa_prev" ]; then printf '%s\n' "$pa_prev"; fi
                tail -c +"$((pa_off + 1))" "$pa_lf" | head -c "$pa_len"
            } | awk -v max="$pa_max" -v out="$pa_out" -v src="$pa_src" -v inode="$pa_inode" -v off="$pa_off" \
                -v partial="$pa_partial" -v reset="$pa_reset" -v kind="$pa_src" -v haveprev="${pa_prev:+1}" '
                # kmsg(l): the kernel message of a kern.log / dmesg line, its [stamp] cut off into `stamp`
                # ("" when it has none); "" when the line is not from the kernel
                function kmsg(l,   p) {
                    stamp = ""
                    if (substr(l, 1, 1) != "[") {
                        p = index(l, " kernel: ")
                        if (p == 0) {
                            # no prefix at all (journalctl -k -o cat, dmesg -t): the message itself
                            if (l ~ /^(audit: )?type=/ || l ~ /^kauditd_printk_skb: /) return l
                            return ""
                        }
                        l = substr(l, p + 9)
                    }
                    if (match(l, /^\[ *[0-9]+\.[0-9]+\] /)) {
                        stamp = substr(l, 1, RLENGTH)
                        l = substr(l, RLENGTH + 1)
                    }
                    return l
                }
                # judge(l): 1 when l is a kernel AppArmor record to return (kernlog: also counts losses)
                function judge(l,   m, cont) {
                    if (kind == "auditlog")
                        return l ~ /^(node=[^ =]+ )?type=(AVC|1400|APPARMOR_[A-Z]+|150[1-7]|UNKNOWN\[150[1-7]\]) msg=audit[(]/ &&
                            index(l, "apparmor=") > 0
                    m = kmsg(l)
                    # a line continuing a record: no stamp after stamped lines, or the stamp of the
                    # record before when that one was not taken (a kernel AppArmor record is one line)
                    if (stamp == "") cont = stamped
                    else cont = (stamp == gstamp && !gok)
                    if (stamp != "") stamped = 1
                    if (cont) return 0
                    if (stamp != "") { gstamp = stamp; gok = 0 }
                    if (match(m, /^kauditd_printk_skb: [0-9]+ callbacks suppressed$/)) {
                        if (!lookback) sup += substr(m, 21) + 0
                        return 0
                    }
                    gok = (m ~ /^(audit: )?type=(1400|150[1-7]) audit[(][0-9.]+:[0-9]+[)]: / &&
                        index(m, "apparmor=") > 0)
                    return gok
                }
                function process(l) {
                    if (stop) return
                    if (judge(l)) {
                        if (bytes + length(l) + 1 > max) { stop = 1; trunc = 1; return }
                        print l > out
                        bytes += length(l) + 1
                        n++
                    }
                    used += length(l) + 1
                }
                BEGIN { max += 0; off += 0 }
                NR == 1 && haveprev == "1" { lookback = 1; judge($0); lookback = 0; next }
                { if (havep) process(prev); prev = $0; havep = 1 }
                END {
                    if (havep && !partial) process(prev)
                    printf "{\"ok\":true,\"source\":\"%s\",\"format\":\"text\",\"cursor\":\"%s:%s:%.0f\",\"lines\":%d,\"bytes\":%d,\"suppressed\":%d,\"truncated\":%s,\"cursorReset\":%s}\n", src, src, inode, off + used, n, bytes, sup, (trunc ? "true" : "false"), reset
                }')
            ;;
    esac
    printf '%s\n' "$pa_header"
    # pa_log_keep set: the caller prints the lines file $pa_out after this output (one cat for both)
    [ -n "${pa_log_keep:-}" ] || cat "$pa_out"
}
