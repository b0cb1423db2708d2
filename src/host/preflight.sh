# preflight [check-docker|skip-docker] — can this host run pulumi-apparmor? Runs as the SSH user (no
# sudo): it checks that root or passwordless sudo is available. One JSON line:
#   {"ok","user":"root|sudo|none","apparmorEnabled","securityfs","parser","parserVersion",
#    "docker":"apparmor|no-apparmor|not-installed|unreachable|skipped","kernel",
#    "problems":[{"code","message","fix"}],
#    "hostAbi":{"parserVersion","kernel","abi":[ABI files],"features":[kernel feature paths]}}
#   (hostAbi: see abi_facts in lib.sh)
# Exit 0 when ok, 3 when a problem was found; the problems are also printed to stderr, one a line.

[ $# -le 1 ] || usage "[check-docker|skip-docker]"
docker_check=${1:-check-docker}
case $docker_check in
    check-docker | skip-docker) ;;
    *) usage "[check-docker|skip-docker]" ;;
esac

problems=
# problem CODE MESSAGE FIX (our own constant texts: no quotes or backslashes)
problem() {
    problems="$problems${problems:+,}{\"code\":\"$1\",\"message\":\"$2\",\"fix\":\"$3\"}"
    printf '%s: %s. Fix: %s\n' "$PA_SCRIPT" "$2" "$3" >&2
}

user=none
if [ "$(id -u)" = 0 ]; then
    user=root
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    user=sudo
fi
[ "$user" != none ] || problem no-root \
    "the SSH user $(id -un) is not root and has no passwordless sudo" \
    "connect as root, or allow the user passwordless sudo (a line 'USER ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/)"

# asroot CMD...: run as root when we can, else as ourselves.
asroot() {
    case $user in
        root) "$@" ;;
        sudo) sudo -n "$@" ;;
        *) "$@" ;;
    esac
}

enabled=false
if apparmor_enabled; then
    enabled=true
else
    problem apparmor-disabled \
        "AppArmor is not enabled in the kernel (/sys/module/apparmor/parameters/enabled is not Y)" \
        "boot with apparmor=1 security=apparmor on the kernel command line (Debian and Ubuntu: add them to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot)"
fi

secfs=false
if [ -d "$PA_SECFS/policy" ]; then
    secfs=true
elif $enabled; then
    problem no-securityfs "securityfs is not mounted (no $PA_SECFS/policy)" \
        "mount -t securityfs securityfs /sys/kernel/security (and add it to /etc/fstab)"
fi

parser=null
pver=null
abi_facts
if p=$(command -v apparmor_parser 2>/dev/null); then
    parser="\"$p\""
    [ -z "$PA_PARSER_VERSION" ] || pver="\"$PA_PARSER_VERSION\""
else
    problem no-parser "apparmor_parser is not installed" "apt-get install apparmor (Debian and Ubuntu), or your distribution's apparmor package"
fi
command -v timeout >/dev/null 2>&1 ||
    problem no-timeout "timeout (coreutils) is not installed: apparmor_parser steps could not be bounded" \
        "apt-get install coreutils"

docker=skipped
if [ "$docker_check" = check-docker ]; then
    if ! command -v docker >/dev/null 2>&1; then
        docker=not-installed
        problem docker-not-installed "the docker CLI is not installed" \
            "install Docker (apt-get install docker.io), or run preflight with skip-docker when no containers are linked"
    elif ! opts=$(asroot docker info --format '{{json .SecurityOptions}}' 2>/dev/null); then
        docker=unreachable
        problem docker-unreachable "docker info failed: dockerd is not running or not reachable" \
            "systemctl start docker, and connect as root or a user allowed to use docker"
    else
        case $opts in
            *name=apparmor*) docker=apparmor ;;
            *)
                docker=no-apparmor
                problem docker-no-apparmor \
                    "dockerd does not list apparmor in its SecurityOptions, so containers started with --security-opt apparmor=NAME would run unconfined without any error" \
                    "let dockerd see /sys/kernel/security/apparmor (AppArmor enabled in the kernel, securityfs mounted, no unit setting such as TemporaryFileSystem= or InaccessiblePaths= hiding /sys/kernel/security), then systemctl restart docker"
                ;;
        esac
    fi
fi

kernel=$(uname -r | tr -cd '0-9A-Za-z._+~-')
ok=true
[ -z "$problems" ] || ok=false
printf '{"ok":%s,"user":"%s","apparmorEnabled":%s,"securityfs":%s,"parser":%s,"parserVersion":%s,"docker":"%s","kernel":"%s","problems":[%s],%s}\n' \
    "$ok" "$user" "$enabled" "$secfs" "$parser" "$pver" "$docker" "$kernel" "$problems" "$PA_HOST_ABI"
$ok || exit 3
