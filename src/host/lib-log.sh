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

# last_cursor MATCH: cursor of the newest journal entry matching MATCH (empty when none).
last_cursor() {
    journalctl -q -n 1 --show-cursor -o cat "$1" 2>/dev/null | sed -n 's/^-- cursor: //p' | tail -n 1 |
        tr -cd 'A-Za-z0-9=;_-'
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
