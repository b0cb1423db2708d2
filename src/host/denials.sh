# denials CURSOR MAXBYTES [SOURCE] — the AppArmor log lines (apparmor=…: DENIED, ALLOWED, AUDIT, STATUS)
# written after CURSOR, at most MAXBYTES of lines (whole lines only; the cursor then stops at the last
# line returned, so the next call continues there).
#   CURSOR   start | now | a cursor returned by an earlier call (journal:… , kernlog:INODE:OFFSET,
#            auditlog:INODE:OFFSET). A cursor of another source, or of a rotated/truncated file, starts
#            that source from its beginning and sets "cursorReset".
#   MAXBYTES 1..16777216
#   SOURCE   auto (default) | journal-audit | auditlog | journal-kernel | kernlog. auto takes the
#            first available in that order: the journal's audit transport and auditd's log keep every
#            event, while the kernel log (journalctl -k, /var/log/kern.log) is rate-limited.
# Output: a header line {"ok":true,"source","cursor","lines","bytes","suppressed","truncated",
# "cursorReset"} then the lines, in the kernel's form
#   audit: type=1400 audit(SECONDS.MILLIS:SERIAL): apparmor="DENIED" operation=… profile=…
# (journal sources; the audit transport's record is put back in that form from _AUDIT_TYPE, _AUDIT_ID
# and _SOURCE_REALTIME_TIMESTAMP) or as the file has them (kernlog: syslog prefix; auditlog:
# `type=AVC msg=audit(…): …`). "suppressed" sums the `kauditd_printk_skb: N callbacks suppressed`
# lines met (audit lines the kernel log dropped; 0 for the audit transport and auditd's log).

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

has_journal() {
    command -v journalctl >/dev/null 2>&1 && [ -d /run/systemd/journal ]
}
has_audit_transport() {
    has_journal || return 1
    if command -v systemctl >/dev/null 2>&1 &&
        systemctl is-active --quiet systemd-journald-audit.socket 2>/dev/null; then
        return 0
    fi
    [ -n "$(journalctl -q _TRANSPORT=audit -n 1 -o cat 2>/dev/null | head -c 1)" ]
}

source=$want
if [ "$source" = auto ]; then
    if has_audit_transport; then
        source=journal-audit
    elif [ -r /var/log/audit/audit.log ]; then
        source=auditlog
    elif has_journal; then
        source=journal-kernel
    elif [ -r /var/log/kern.log ]; then
        source=kernlog
    else
        fail no-source "no log source: neither the systemd journal, /var/log/audit/audit.log nor /var/log/kern.log is available"
    fi
fi

out=$(mktemp) || fail io "cannot create a temp file"
track_tmp "$out"
reset=false

# last_cursor MATCH: cursor of the newest journal entry matching MATCH (empty when none).
last_cursor() {
    journalctl -q -n 1 --show-cursor -o cat "$1" 2>/dev/null | sed -n 's/^-- cursor: //p' | tail -n 1 |
        tr -cd 'A-Za-z0-9=;_-'
}

# empty_header CURSOR: prints the header for an empty result.
empty_header() {
    printf '{"ok":true,"source":"%s","cursor":"%s","lines":0,"bytes":0,"suppressed":0,"truncated":false,"cursorReset":%s}\n' \
        "$source" "$1" "$reset"
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
            c=$(last_cursor "$match")
            if [ -n "$c" ]; then empty_header "journal:$c"; else empty_header start; fi
            exit 0
        fi
        if [ -n "$jc" ]; then set -- "$match" --after-cursor "$jc"; else set -- "$match"; fi
        # The trailing __PA_RC line reports a journalctl failure (e.g. a malformed cursor) to awk.
        # shellcheck disable=SC2016 # awk program
        header=$({
            journalctl -q -o export \
                --output-fields=MESSAGE,_AUDIT_TYPE,_AUDIT_ID,_SOURCE_REALTIME_TIMESTAMP "$@" 2>/dev/null ||
                printf '\n__PA_RC=%s\n\n' "$?"
        } | awk -v kind="$kind" -v max="$max" -v out="$out" -v src="$source" -v cur="$jc" -v reset="$reset" '
            function clear() { have = 0; msg = ""; atype = ""; aid = ""; stamp = ""; ecur = "" }
            function emit(line) {
                if (bytes + length(line) + 1 > max) { stop = 1; trunc = 1; return 0 }
                print line > out
                bytes += length(line) + 1
                n++
                return 1
            }
            function flush(   body, sp, ts, s) {
                if (!have || stop) { clear(); return }
                if (kind == "kernel" && match(msg, /kauditd_printk_skb: [0-9]+ callbacks suppressed/)) {
                    s = substr(msg, RSTART + 20)
                    sup += s + 0
                    cur = ecur
                } else if (index(msg, "apparmor=") == 0) {
                    cur = ecur
                } else if (kind == "audit") {
                    body = msg
                    sp = index(body, " ")
                    if (sp > 0 && index(substr(body, 1, sp - 1), "=") == 0) body = substr(body, sp + 1)
                    ts = stamp
                    if (length(ts) > 6) ts = substr(ts, 1, length(ts) - 6) "." substr(ts, length(ts) - 5, 3)
                    if (atype == "") atype = 1400
                    if (emit("audit: type=" atype " audit(" ts ":" aid "): " body)) cur = ecur
                } else {
                    if (emit(msg)) cur = ecur
                }
                clear()
            }
            BEGIN { max += 0; clear() }
            /^$/ { flush(); next }
            {
                eq = index($0, "=")
                if (eq == 0) next
                k = substr($0, 1, eq - 1)
                v = substr($0, eq + 1)
                if (k == "__PA_RC") { failed = v; next }
                have = 1
                if (k == "__CURSOR") ecur = v
                else if (k == "MESSAGE") msg = v
                else if (k == "_AUDIT_TYPE") atype = v
                else if (k == "_AUDIT_ID") aid = v
                else if (k == "_SOURCE_REALTIME_TIMESTAMP") stamp = v
            }
            END {
                flush()
                if (failed != "") { print "FAILED " failed; exit 0 }
                gsub(/[^A-Za-z0-9=;_-]/, "", cur)
                printf "{\"ok\":true,\"source\":\"%s\",\"cursor\":\"%s\",\"lines\":%d,\"bytes\":%d,\"suppressed\":%d,\"truncated\":%s,\"cursorReset\":%s}\n", src, (cur == "" ? "" : "journal:" cur), n, bytes, sup, (trunc ? "true" : "false"), reset
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
        # shellcheck disable=SC2016 # awk program
        header=$(tail -c +"$((off + 1))" "$f" | head -c "$len" |
            awk -v max="$max" -v out="$out" -v src="$source" -v inode="$inode" -v off="$off" \
                -v partial="$partial" -v reset="$reset" -v kind="$source" '
            function process(l,   s) {
                if (stop) return
                if (kind == "kernlog" && match(l, /kauditd_printk_skb: [0-9]+ callbacks suppressed/)) {
                    s = substr(l, RSTART + 20)
                    sup += s + 0
                } else if (index(l, "apparmor=") > 0) {
                    if (bytes + length(l) + 1 > max) { stop = 1; trunc = 1; return }
                    print l > out
                    bytes += length(l) + 1
                    n++
                }
                used += length(l) + 1
            }
            BEGIN { max += 0; off += 0 }
            { if (havep) process(prev); prev = $0; havep = 1 }
            END {
                if (havep && !partial) process(prev)
                printf "{\"ok\":true,\"source\":\"%s\",\"cursor\":\"%s:%s:%.0f\",\"lines\":%d,\"bytes\":%d,\"suppressed\":%d,\"truncated\":%s,\"cursorReset\":%s}\n", src, src, inode, off + used, n, bytes, sup, (trunc ? "true" : "false"), reset
            }')
        ;;
esac
printf '%s\n' "$header"
cat "$out"
