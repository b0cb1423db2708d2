# compile SECONDS SHA256 — profile text on stdin: compile it with this host's apparmor_parser and its
# own include files (abstractions, tunables: /etc/apparmor.d), load nothing, write nothing, take no
# lock. What `Profile` runs at preview for a new version, so a text the host refuses fails the preview
# instead of the install.
#   SECONDS  the parser is killed after this many seconds (1-600): an include that never ends (a FIFO,
#            a device) cannot hang the step
#   SHA256   sha256 of the exact stdin bytes, or - to skip the check (a cut SSH connection then
#            cannot pass a truncated text)
# Runs as the SSH user without sudo (apparmor_parser -Q needs no privilege); started as root it drops
# to nobody when setpriv(1) exists, so an include cannot read what only root may read.
# Result: {"ok":true,"parser":"VERSION","hostAbi":{…}} or
# {"ok":false,"error":"compile-failed","message":…,"hostAbi":{…}} (message = the parser's own lines:
# "AppArmor parser error at line N: …"; hostAbi: the host's parser version, kernel, ABI files and
# kernel features, see abi_facts in lib.sh, so a refusal can be explained by what the host lacks).

[ $# -eq 2 ] || usage "SECONDS SHA256|- <PROFILE"
case $1 in
    '' | *[!0-9]*) fail bad-timeout "SECONDS must be a whole number from 1 to 600" 2 ;;
esac
if [ "$1" -lt 1 ] || [ "$1" -gt 600 ]; then
    fail bad-timeout "SECONDS must be a whole number from 1 to 600" 2
fi
case $2 in
    -) ;;
    *[!0-9a-f]*) fail bad-sha256 "SHA256 must be 64 lowercase hex digits or -" 2 ;;
    *) [ "${#2}" -eq 64 ] || fail bad-sha256 "SHA256 must be 64 lowercase hex digits or -" 2 ;;
esac
need_parser
command -v timeout >/dev/null 2>&1 || fail no-timeout "timeout (coreutils) not found; fix: apt-get install coreutils"

seconds=$1
cw=$(mktemp -d) || fail io "cannot create a temp directory"
PA_WORKS="$PA_WORKS $cw"
head -c 4194305 >"$cw/in" || fail io "cannot read the profile from stdin"
[ "$(wc -c <"$cw/in")" -le 4194304 ] || fail too-large "the profile text is larger than 4 MiB"
if [ "$2" != - ]; then
    got=$(sha256sum <"$cw/in")
    [ "${got%%" "*}" = "$2" ] ||
        fail incomplete-input "stdin sha256 ${got%%" "*} differs from the expected $2 (connection cut?)"
fi

# Quoted includes are read relative to the working directory: make it one that holds nothing of ours.
cd / || fail io "cannot change to /"
abi_facts
version=$PA_PARSER_VERSION
# Readable by the unprivileged parser (mktemp makes it 0600; the directory is 0700).
if ! { chmod 0755 "$cw" && chmod 0644 "$cw/in"; }; then
    fail io "cannot open the temp files"
fi
drop=
if is_root && command -v setpriv >/dev/null 2>&1; then
    drop="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
rc=0
# shellcheck disable=SC2086 # $drop is empty or our own constant words
timeout -k 5 "$seconds" $drop apparmor_parser -Q -K <"$cw/in" >/dev/null 2>"$cw/err" || rc=$?
case $rc in
    0) printf '{"ok":true,"parser":%s,%s}\n' "$(printf '%s' "$version" | json_str)" "$PA_HOST_ABI" ;;
    124 | 137) fail compile-timeout "apparmor_parser did not finish within $seconds s (an include of a FIFO or device?); nothing was loaded" 1 "$PA_HOST_ABI" ;;
    *)
        # drop the parser's note about the disabled cache: it is not about the text
        msg=$(grep -v '^Cache read/write disabled' "$cw/err" | head -c 4000)
        [ -n "$msg" ] || msg="apparmor_parser exited with status $rc"
        fail compile-failed "$msg" 1 "$PA_HOST_ABI"
        ;;
esac
