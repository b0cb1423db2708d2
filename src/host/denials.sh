# denials CURSOR MAXBYTES [SOURCE] — the kernel's AppArmor audit records (apparmor=…: DENIED, ALLOWED,
# AUDIT, STATUS) written after CURSOR, at most MAXBYTES of output lines (whole lines only; the cursor
# then stops at the last line returned, so the next call continues there).
#   CURSOR   start | now | a cursor returned by an earlier call (journal:… , kernlog:INODE:OFFSET,
#            auditlog:INODE:OFFSET). A cursor of another source, or of a rotated/truncated file, starts
#            that source from its beginning and sets "cursorReset".
#   MAXBYTES 1..16777216
#   SOURCE   auto (default) | journal-audit | auditlog | journal-kernel | kernlog. auto takes the
#            first available in that order: the journal's audit transport and auditd's log keep every
#            event, while the kernel log (journalctl -k, /var/log/kern.log) is rate-limited.
#
# Only records the KERNEL wrote are returned: AVC (1400) and APPARMOR_* (1501-1507). Any process with
# CAP_AUDIT_WRITE can send user audit messages (USER_AVC 1107) whose text claims apparmor="DENIED" for
# any profile, with newlines in it; the kernel relays that text as is. So each source is read in a form
# whose record boundaries and record type the sender cannot forge:
#   journal-*  `journalctl -o json` (one entry per line, newlines escaped); the record type is journald's
#              trusted _AUDIT_TYPE (audit transport) or the kernel message's own `audit: type=N` prefix
#              with SYSLOG_FACILITY 0 (kernel transport: user space cannot log with facility 0).
#   auditlog   auditd writes one record per line (it turns newlines into spaces), `type=NAME msg=…`
#              first: only AVC / APPARMOR_* / 1400 / 150x lines are taken.
#   kernlog    printk gives every line of a multi-line record the record's `[stamp]` (dmesg indents
#              them instead): a line with no stamp after stamped lines, or with the stamp of a
#              preceding record that was not taken, continues that record and is never taken. The
#              kernel message must start with `audit: type=N audit(` right after the syslog prefix.
#              A kern.log written without the kernel's stamps cannot show where a record ends: prefer
#              the journal or auditd (auto does).
# Output: a header line {"ok":true,"source","format","cursor","lines","bytes","suppressed","truncated",
# "cursorReset"} then the lines. "format" is "journal-json" for the journal sources: one JSON object
# per line, {"m":MESSAGE,"t":_AUDIT_TYPE,"i":_AUDIT_ID,"s":_SOURCE_REALTIME_TIMESTAMP} (audit
# transport) or {"m":MESSAGE} (kernel transport), the MESSAGE copied as journalctl escaped it; the
# TypeScript side (parseDenials) decodes and re-checks them and puts them in the kernel's form
#   audit: type=1400 audit(SECONDS.MILLIS:SERIAL): apparmor="DENIED" operation=… profile=…
# It is "text" for the files: their lines as the file has them (kernlog: syslog prefix; auditlog:
# `type=AVC msg=audit(…): …`). "bytes" counts the output lines. "suppressed" sums the kernel's
# `kauditd_printk_skb: N callbacks suppressed` messages met (audit lines the kernel log dropped; 0 for
# the audit transport and auditd's log).

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    usage "start|now|CURSOR MAXBYTES [auto|journal-audit|auditlog|journal-kernel|kernlog]"
fi
cursor=$1
max=$2
want=${3:-auto}
case $cursor in
    start | now | journal:* | kernlog:* | auditlog:*) ;;
    *) fail bad-cursor "cursor must be start, now or a cursor returned by denials" 2 ;;
esac
case $cursor in
    *[!A-Za-z0-9=\;:_.-]*) fail bad-cursor "cursor has characters outside [A-Za-z0-9=;:_.-]" 2 ;;
esac
[ "${#cursor}" -le 1024 ] || fail bad-cursor "cursor longer than 1024 characters" 2
case $max in
    '' | *[!0-9]* | 0*) fail bad-max "MAXBYTES must be an integer from 1 to 16777216" 2 ;;
esac
if [ "${#max}" -gt 8 ] || [ "$max" -gt 16777216 ]; then
    fail bad-max "MAXBYTES must be an integer from 1 to 16777216" 2
fi
case $want in
    auto | journal-audit | auditlog | journal-kernel | kernlog) ;;
    *) fail bad-source "SOURCE must be auto, journal-audit, auditlog, journal-kernel or kernlog" 2 ;;
esac
need_root

log_source_var "$want" ||
    fail no-source "no log source: neither the systemd journal, /var/log/audit/audit.log nor /var/log/kern.log is available"
# shellcheck disable=SC2154 # pa_lsrc: set by log_source_var (lib-log.sh)
source=$pa_lsrc

out=$(mktemp) || fail io "cannot create a temp file"
track_tmp "$out"
reset=false

case $source in
    journal-*) format=journal-json ;;
    *) format=text ;;
esac

# empty_header CURSOR: prints the header for an empty result.
empty_header() {
    printf '{"ok":true,"source":"%s","format":"%s","cursor":"%s","lines":0,"bytes":0,"suppressed":0,"truncated":false,"cursorReset":%s}\n' \
        "$source" "$format" "$1" "$reset"
}

case $source in
    journal-audit | journal-kernel)
        has_journal || fail no-source "the systemd journal is not available on this host"
        jc=
        case $cursor in
            journal:*) jc=${cursor#journal:} ;;
            start) ;;
            now) ;;
            *) reset=true ;;
        esac
        if [ "$source" = journal-audit ]; then
            match=_TRANSPORT=audit
            kind=audit
        else
            match=_TRANSPORT=kernel
            kind=kernel
        fi
        if [ "$cursor" = now ]; then
            # The newest entry OF THIS SOURCE: a cursor of another journal file (e.g. a user journal,
            # other seqnum id) makes --after-cursor skip entries.
            log_end_var "$source" || fail no-source "the systemd journal is not available on this host"
            # shellcheck disable=SC2154 # pa_lend: set by log_end_var (lib-log.sh)
            empty_header "$pa_lend"
            exit 0
        fi
        if [ -n "$jc" ]; then set -- "$match" --after-cursor "$jc"; else set -- "$match"; fi
        # One JSON object per entry and line (journald escapes newlines and quotes in values, so a
        # `,"KEY":"` or `{"KEY":"` can only be a field of the entry). --all: without it journalctl
        # prints fields over 4096 bytes as null. The trailing __PA_RC line reports a journalctl
        # failure (e.g. a malformed cursor) to awk.
        # shellcheck disable=SC2016 # awk program
        header=$({
            journalctl -q -o json --all \
                --output-fields=MESSAGE,_AUDIT_TYPE,_AUDIT_ID,_SOURCE_REALTIME_TIMESTAMP,SYSLOG_FACILITY \
                "$@" 2>/dev/null || printf '\n__PA_RC=%s\n' "$?"
        } | awk -v kind="$kind" -v max="$max" -v out="$out" -v src="$source" -v cur="$jc" -v reset="$reset" '
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
            }
            END {
                if (failed != "") { print "FAILED " failed; exit 0 }
                gsub(/[^A-Za-z0-9=;_-]/, "", cur)
                printf "{\"ok\":true,\"source\":\"%s\",\"format\":\"journal-json\",\"cursor\":\"%s\",\"lines\":%d,\"bytes\":%d,\"suppressed\":%d,\"truncated\":%s,\"cursorReset\":%s}\n", src, (cur == "" ? "" : "journal:" cur), n, bytes, sup, (trunc ? "true" : "false"), reset
            }')
        case $header in
            FAILED*)
                fail journal-failed "journalctl failed (exit ${header#FAILED }); a malformed or foreign cursor? Call again with start or now"
                ;;
        esac
        case $header in
            *'"cursor":""'*)
                # No entry of this source yet: the next call starts from the beginning.
                header=$(printf '%s' "$header" | sed 's/"cursor":""/"cursor":"start"/')
                ;;
        esac
        ;;
    kernlog | auditlog)
        if [ "$source" = kernlog ]; then f=/var/log/kern.log; else f=/var/log/audit/audit.log; fi
        [ -r "$f" ] || fail no-source "$f does not exist or is not readable"
        inode=$(stat -c %i "$f") || fail io "cannot stat $f"
        size=$(stat -c %s "$f") || fail io "cannot stat $f"
        off=0
        case $cursor in
            "$source":*)
                ci=${cursor#"$source":}
                co=${ci#*:}
                ci=${ci%%:*}
                case $ci$co in
                    '' | *[!0-9]*) reset=true ;;
                    *)
                        if [ "$ci" = "$inode" ] && [ "$co" -le "$size" ]; then off=$co; else reset=true; fi
                        ;;
                esac
                ;;
            now) off=$size ;;
            start) ;;
            *) reset=true ;;
        esac
        if [ "$off" -ge "$size" ]; then
            empty_header "$source:$inode:$size"
            exit 0
        fi
        len=$((size - off))
        partial=0
        [ "$(tail -c +"$size" "$f" | od -An -c | tr -d ' ')" = '\n' ] || partial=1
        # kernlog: the line before the cursor, so that a continuation line at the start of this read
        # is recognised (a printk record is at most 1 KiB; 16 KiB of look-back is ample).
        prev=
        if [ "$source" = kernlog ] && [ "$off" -gt 0 ]; then
            back=16384
            [ "$off" -ge "$back" ] || back=$off
            prev=$(tail -c +"$((off - back + 1))" "$f" | head -c "$back" | tail -n 1)
        fi
        # shellcheck disable=SC2016 # awk program
        header=$({
            if [ -n "$prev" ]; then printf '%s\n' "$prev"; fi
            tail -c +"$((off + 1))" "$f" | head -c "$len"
        } | awk -v max="$max" -v out="$out" -v src="$source" -v inode="$inode" -v off="$off" \
            -v partial="$partial" -v reset="$reset" -v kind="$source" -v haveprev="${prev:+1}" '
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
printf '%s\n' "$header"
cat "$out"
