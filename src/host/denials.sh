# denials CURSOR MAXBYTES [SOURCE [UNTIL]] — the kernel's AppArmor audit records (apparmor=…: DENIED,
# ALLOWED, AUDIT, STATUS) written after CURSOR, at most MAXBYTES of output lines (whole lines only; the
# cursor then stops at the last line returned, so the next call continues there).
#   CURSOR   start | now | a cursor returned by an earlier call (journal:… , kernlog:INODE:OFFSET,
#            auditlog:INODE:OFFSET). A cursor of another source, or of a rotated/truncated file, starts
#            that source from its beginning and sets "cursorReset".
#   MAXBYTES 1..16777216
#   UNTIL    a journal cursor returned by denials: a journal source's read ends at that entry (the
#            returned cursor is UNTIL when the read passed it), as if it had run when UNTIL was the
#            newest entry; a refresh's later reads so end where its first one did. Ignored by the files.
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

if [ $# -lt 2 ] || [ $# -gt 4 ]; then
    usage "start|now|CURSOR MAXBYTES [auto|journal-audit|auditlog|journal-kernel|kernlog [UNTIL]]"
fi
cursor=$1
max=$2
want=${3:-auto}
until=${4:-}
case $until in
    '') ;;
    journal:?*)
        case $until in
            *[!A-Za-z0-9=\;:_.-]*) fail bad-cursor "UNTIL has characters outside [A-Za-z0-9=;:_.-]" 2 ;;
        esac
        [ "${#until}" -le 1024 ] || fail bad-cursor "UNTIL longer than 1024 characters" 2
        ;;
    *) fail bad-cursor "UNTIL must be a journal cursor returned by denials" 2 ;;
esac
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

read_log "$cursor" "$max" "$source" "$until"
