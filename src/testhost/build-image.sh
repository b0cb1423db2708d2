#!/bin/sh
# Builds the disk image of the disposable test host: Debian bookworm (12: kernel 6.1, AppArmor 3.0) or
# trixie (13: kernel 6.12, AppArmor 4.1), debootstrap minbase, with the Debian kernel (AppArmor on),
# systemd, a key-only sshd, docker (on its unix socket only: clients on the host machine reach it
# through an SSH forward), the journal's audit transport, and a local busybox image.
# The VM has no outside network (QEMU user networking with restrict=on, no DNS): everything it needs is
# installed here, and its first boot (below) already runs without network.
#
# usage: build-image.sh ensure [RELEASE]  build the image unless cached; print its directory (last line)
#        build-image.sh path [RELEASE]    print the directory the image has (or would have) in the cache
#        build-image.sh hash [RELEASE]    print the recipe hash (the cache key)
# RELEASE: bookworm (the default) or trixie.
#
# The image lives in $PULUMI_APPARMOR_CACHE/testhost/<recipe hash>/ (PULUMI_APPARMOR_CACHE defaults
# to /var/cache/pulumi-apparmor); the recipe hash is the sha256 of this file, of cache-lib.sh (the
# cache scaffolding it shares with scripts/trixie-parser.sh) and of the release, so the images of
# both releases live side by side: disk.raw (sparse ext4, the root file system), vmlinuz,
# initrd.img, ssh_host_ed25519_key.pub (the pinned host key), image.json (metadata, with the release).
# It is built in a temporary directory beside it and renamed into place, under a lock so two builders
# never collide. A build removes images of older recipes of its own release not used for a day.
# The disk holds the VM's private host key: the cache root, testhost/ and the image directories are
# 0700 and disk.raw 0600; `ensure` also fixes the modes of an existing cache (older builds made them
# world-readable). A cache root writable by others with the sticky bit (e.g. /tmp) is left as it is;
# the testhost/ folder inside it is private anyway.
#
# The image holds no authorized SSH key: every boot passes the run's public key on the kernel command
# line (pulumi_apparmor.authorized_key=<base64 of the key line>) and a unit installs it for root and
# the `tester` user before sshd starts. A public key is public, so the command line is a fine carrier.
#
# Both releases get the same packages and configuration. What differs on trixie (the usr-merged
# layout, AppArmor 4 with its abi/4.0 policy ABI, docker.io 26) is checked right after debootstrap:
# the build fails loudly when a unit, a path or the parser version this recipe relies on is not there.
# The kernel's AppArmor settings (user namespace mediation among them) stay as Debian ships them: the
# tests prove behaviour on what users run (test/host/vm-trixie.test.ts records what trixie does).
#
# The Debian mirror is the one this machine's apt sources use (override: PULUMI_APPARMOR_DEBIAN_MIRROR);
# the mirror that serves bookworm serves trixie too.
# Needs root (debootstrap), debootstrap, e2fsprogs >= 1.43 (mke2fs -d), openssh-client (ssh-keygen).
# Installs nothing on this machine.
set -eu

# One brace group: the shell parses the whole script before running any of it, so editing this file
# while a build runs cannot derail that build.
{
cmd="${1:-ensure}"
release="${2:-bookworm}"
self="$(readlink -f "$0")"
lib="$(dirname "$self")/cache-lib.sh"
cache_name=testhost-image
# shellcheck source=src/testhost/cache-lib.sh
. "$lib"
log() { cache_log "$@"; }
die() { cache_die "$@"; }
case "$release" in
bookworm | trixie) ;;
*) die "unknown release '$release' (expected bookworm or trixie)" ;;
esac
cache="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
hash="$({
    cat "$self" "$lib"
    printf 'release=%s\n' "$release"
} | sha256sum | cut -c1-64)"
top="$cache/testhost"
dest="$top/$hash"

case "$cmd" in
hash)
    echo "$hash"
    exit 0
    ;;
path)
    echo "$dest"
    exit 0
    ;;
ensure) ;;
*) die "unknown command '$cmd' (expected ensure, path or hash, then bookworm or trixie)" ;;
esac

# --- a private cache (also fixes the modes of one made by an older recipe) -----------------------
cache_private_dir "$cache"
cache_private_dir "$top"
for d in "$top"/*/; do
    [ -d "$d" ] || continue
    chmod 0700 "$d"
    [ ! -f "$d/disk.raw" ] || chmod 0600 "$d/disk.raw"
done

if [ -f "$dest/image.json" ]; then
    echo "$dest"
    exit 0
fi

# --- preconditions -------------------------------------------------------------------------------
missing=""
for tool in debootstrap:debootstrap mke2fs:e2fsprogs debugfs:e2fsprogs ssh-keygen:openssh-client \
    qemu-system-x86_64:qemu-system-x86 chroot:coreutils flock:util-linux timeout:coreutils; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "${tool%%:*}" \
        >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] || die "missing tools; install them with: apt-get install$missing"
PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" = 0 ] || die "building the image needs root (debootstrap); run as root once, or point \
PULUMI_APPARMOR_CACHE at a cache where root already built it"

# The mirror of the release, or, for trixie, the bookworm one (the same archive serves both).
if [ "$release" = trixie ]; then
    mirror="$(cache_find_mirror trixie bookworm)"
else
    mirror="$(cache_find_mirror bookworm)"
fi || die "no Debian $release mirror found in /etc/apt/sources.list{,.d}; set \
PULUMI_APPARMOR_DEBIAN_MIRROR"

# --- lock, then build in a temporary directory -------------------------------------------------
cache_lock "$top" "$hash"
if [ -f "$dest/image.json" ]; then
    echo "$dest"
    exit 0
fi

# Leftovers of builds of this recipe that were killed (we hold the lock, so none is running).
cache_clean_builds "$top" "$hash"
# Images of other recipes of this release not touched for a day (an image without a release in its
# image.json is a bookworm one: older recipes built only bookworm).
# shellcheck disable=SC2317 # called by cache_prune
same_release() {
    [ -f "$1/image.json" ] || return 1
    r="$(sed -n 's/.*"release":"\([a-z]*\)".*/\1/p' "$1/image.json")"
    [ "${r:-bookworm}" = "$release" ]
}
cache_prune "$top" "$hash" same_release

start="$(date +%s)"
# The temporary build directory, removed with whatever is mounted in it (debootstrap and this script
# mount proc/sys inside the rootfs) unless it is renamed into place.
cache_begin "$top" "$hash"
tmp="$cache_tmp"
rootfs="$tmp/rootfs"

packages="linux-image-amd64,systemd-sysv,udev,openssh-server,apparmor,apparmor-utils,docker.io"
packages="$packages,iptables,busybox-static,ca-certificates,initramfs-tools,iproute2,kmod,sudo"
# Compose, for ComposeProject: bookworm's docker-compose is 1.29.2 (the Python `docker-compose`
# command); trixie's is compose v2 2.26.1 (Go: the docker CLI plugin, and /usr/bin/docker-compose
# links to it). The library's compose script uses `docker compose` when the CLI plugin answers and
# `docker-compose` otherwise, so either form is fine.
packages="$packages,docker-compose"
# trixie: docker.io is the daemon only; the docker CLI is its own package (a Recommends, which
# debootstrap does not install).
[ "$release" = bookworm ] || packages="$packages,docker-cli"
# The packages of each release in their own folder (bookworm keeps debs/).
debs="$top/debs"
[ "$release" = bookworm ] || debs="$top/debs-$release"
cache_private_dir "$debs"
log "debootstrap $release from $mirror (log: $tmp/debootstrap.log)"
if ! debootstrap --variant=minbase --components=main --include="$packages" \
    --cache-dir="$debs" "$release" "$rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    [ ! -f "$rootfs/debootstrap/debootstrap.log" ] || tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
fi
log "debootstrap done after $(($(date +%s) - start)) s; configuring"
# What the rest of the recipe relies on, checked for every release (trixie moved everything to /usr).
for f in /lib/systemd/systemd-networkd-wait-online /lib/systemd/system/ssh.service \
    /lib/systemd/system/docker.service /lib/systemd/system/systemd-journald-audit.socket \
    /bin/busybox /usr/sbin/apparmor_parser /usr/bin/docker; do
    [ -e "$rootfs$f" ] || die "$release: $f is missing from the image"
done
[ -e "$rootfs/usr/bin/docker-compose" ] || [ -e "$rootfs/usr/libexec/docker/cli-plugins/docker-compose" ] ||
    die "$release: the docker-compose package installed neither /usr/bin/docker-compose nor the docker CLI plugin"
if [ "$release" = trixie ]; then
    # AppArmor 4: the policy ABI the library's ABI 4 rules (userns, mqueue, io_uring) compile against.
    [ -f "$rootfs/etc/apparmor.d/abi/4.0" ] || die "trixie: /etc/apparmor.d/abi/4.0 is missing"
    case "$(chroot "$rootfs" /usr/sbin/apparmor_parser --version | head -n 1)" in
    *" 4."*) ;;
    *) die "trixie: apparmor_parser is not AppArmor 4" ;;
    esac
fi

in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
put() { # put MODE PATH  (content on stdin)
    mkdir -p "$(dirname "$rootfs$2")"
    cat >"$rootfs$2"
    chmod "$1" "$rootfs$2"
}

# Identity, file systems, network (QEMU user networking with restrict=on: static 10.0.2.15, gateway .2;
# no DNS server, since nothing outside the VM is reachable: a name lookup fails at once instead of
# waiting for timeouts).
echo testhost | put 0644 /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 testhost\n::1 localhost ip6-localhost ip6-loopback\n' |
    put 0644 /etc/hosts
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' | put 0644 /etc/fstab
# A fixed machine-id: an empty one would make systemd treat every boot as a first boot (presets).
{
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
    echo
} | put 0444 /etc/machine-id
printf '# no name server: the test host has no outside network\n' | put 0644 /etc/resolv.conf
put 0644 /etc/systemd/network/10-qemu.network <<'EOF'
[Match]
Name=en* eth*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
put 0644 /etc/systemd/system/systemd-networkd-wait-online.service.d/any.conf <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=30
EOF
in_root systemctl enable systemd-networkd.service >/dev/null 2>&1

# sshd: key only, ed25519 host key generated here and pinned by clients.
rm -f "$rootfs"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C testhost -f "$rootfs/etc/ssh/ssh_host_ed25519_key"
put 0644 /etc/ssh/sshd_config.d/10-pulumi-apparmor.conf <<'EOF'
# Test host: public keys only, no passwords, root by key only.
HostKey /etc/ssh/ssh_host_ed25519_key
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AuthenticationMethods publickey
UseDNS no
MaxStartups 50:30:100
MaxSessions 64
EOF

# Users: root and `tester` (passwordless sudo, docker group). tester has a password only so that the
# tests can prove sshd refuses password logins; sudo does not ask for it.
in_root useradd -m -s /bin/bash -G sudo,docker tester
echo 'tester:tester' | in_root chpasswd
echo 'tester ALL=(ALL:ALL) NOPASSWD: ALL' | put 0440 /etc/sudoers.d/tester
in_root passwd -l root >/dev/null

# The run's public key arrives on the kernel command line; install it before sshd starts.
put 0755 /usr/local/sbin/pulumi-apparmor-authorized-key <<'EOF'
#!/bin/sh
# Installs the public key passed as pulumi_apparmor.authorized_key=<base64> on the kernel command line
# as the only authorized key of root and tester.
set -eu
key=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    pulumi_apparmor.authorized_key=*) key="$(printf '%s' "${arg#*=}" | base64 -d)" ;;
    esac
done
[ -n "$key" ] || exit 0
for home in /root /home/tester; do
    owner="$(stat -c %U "$home")"
    install -d -m 0700 -o "$owner" -g "$owner" "$home/.ssh"
    printf '%s\n' "$key" >"$home/.ssh/authorized_keys"
    chown "$owner:$owner" "$home/.ssh/authorized_keys"
    chmod 0600 "$home/.ssh/authorized_keys"
done
EOF
put 0644 /etc/systemd/system/pulumi-apparmor-authorized-key.service <<'EOF'
[Unit]
Description=Install the test run's SSH public key from the kernel command line
Before=ssh.service
After=local-fs.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/pulumi-apparmor-authorized-key
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
EOF
in_root systemctl enable pulumi-apparmor-authorized-key.service >/dev/null 2>&1

# Docker: only its unix socket (/var/run/docker.sock, root:docker 0660). No TCP listener: any container
# could reach one and start a privileged container, i.e. become root on the host whose confinement the
# tests measure. The host machine reaches the socket through an SSH forward (see index.ts).
# --iptables=false: no NAT/filter chains (dozens of slow iptables runs under TCG at every start);
# containers still get the default bridge and reach each other, but not the outside (there is none).
grep -q '^ExecStart=/usr/sbin/dockerd' "$rootfs/lib/systemd/system/docker.service" ||
    die "unexpected docker.service in docker.io (no ExecStart=/usr/sbin/dockerd)"
put 0644 /etc/systemd/system/docker.service.d/10-options.conf <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/sbin/dockerd -H fd:// --iptables=false --containerd=/run/containerd/containerd.sock $DOCKER_OPTS
EOF
in_root systemctl enable docker.service >/dev/null 2>&1

# A registry-free container image: busybox-static as a rootfs tarball, imported at boot.
bb="$tmp/busybox-rootfs"
mkdir -p "$bb/bin" "$bb/tmp" "$bb/etc" "$bb/proc" "$bb/sys" "$bb/dev" "$bb/root"
cp "$rootfs/bin/busybox" "$bb/bin/busybox"
for applet in $("$bb/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$bb/bin/$applet"
done
chmod 1777 "$bb/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$bb/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$bb/etc/group"
mkdir -p "$rootfs/usr/local/share/pulumi-apparmor"
tar -C "$bb" --owner=0 --group=0 --numeric-owner -cf "$rootfs/usr/local/share/pulumi-apparmor/busybox-rootfs.tar" .
rm -rf "$bb"
put 0755 /usr/local/sbin/pulumi-apparmor-ready <<'EOF'
#!/bin/sh
# Imports local/busybox:latest into docker (once per disk) and marks the host ready.
set -eu
if ! docker image inspect local/busybox:latest >/dev/null 2>&1; then
    docker import -c 'CMD ["/bin/sh"]' /usr/local/share/pulumi-apparmor/busybox-rootfs.tar \
        local/busybox:latest >/dev/null
fi
touch /run/pulumi-apparmor-ready
EOF
put 0644 /etc/systemd/system/pulumi-apparmor-ready.service <<'EOF'
[Unit]
Description=Import the local busybox image and mark the test host ready
Requires=docker.service
After=docker.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/pulumi-apparmor-ready
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
EOF
in_root systemctl enable pulumi-apparmor-ready.service >/dev/null 2>&1

# The build boots the image once (kernel argument pulumi_apparmor.prewarm=1) so that docker's first
# start, the busybox import and the AppArmor policy cache are done in the image, not in every run.
# It powers off whether or not the host got ready (Wants, not Requires; ExecStopPost runs either
# way), so a broken image fails the build at once instead of at the prewarm timeout.
put 0644 /etc/systemd/system/pulumi-apparmor-prewarm.service <<'EOF'
[Unit]
Description=Image build: record a complete first boot, then power off
ConditionKernelCommandLine=pulumi_apparmor.prewarm=1
Wants=pulumi-apparmor-ready.service
After=pulumi-apparmor-ready.service multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'test -e /run/pulumi-apparmor-ready && mkdir -p /var/lib/pulumi-apparmor && docker image inspect -f "{{.Id}}" local/busybox:latest > /var/lib/pulumi-apparmor/prewarmed && sync'
ExecStopPost=/bin/systemctl --no-block poweroff

[Install]
WantedBy=multi-user.target
EOF
in_root systemctl enable pulumi-apparmor-prewarm.service >/dev/null 2>&1

# Journal in memory (each boot starts empty; no disk writes), with the audit transport (journald's
# audit socket) on.
rm -rf "$rootfs/var/log/journal"
put 0644 /etc/systemd/journald.conf.d/10-pulumi-apparmor.conf <<'EOF'
[Journal]
Storage=volatile
RuntimeMaxUse=256M
EOF
in_root systemctl enable systemd-journald-audit.socket >/dev/null 2>&1 || true

# Things a throwaway VM does not need at boot. Each costs emulated CPU under TCG, taken from the boot
# and from the tests beside it: trixie's dpkg-db-backup.timer (Persistent=, so it runs at every boot
# of an image built over a day ago) took 19 s, and each modprobe@ unit 7-12 s of a 1-vCPU boot.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer dpkg-db-backup.timer systemd-tmpfiles-clean.timer; do
    in_root systemctl disable "$unit" >/dev/null 2>&1 || true
done
# Kernel modules nothing here uses (no GPU, FUSE, loop or device-mapper disks, EFI or configfs): their
# modprobe@ units are static (pulled in by systemd itself), so masked.
in_root systemctl mask modprobe@drm.service modprobe@fuse.service modprobe@efi_pstore.service \
    modprobe@configfs.service modprobe@dm_mod.service modprobe@loop.service sys-kernel-config.mount \
    >/dev/null 2>&1
# systemd runs every generator at boot and again at each `systemctl daemon-reload` (which install
# and remove do when the boot unit comes or goes): about 1.6 s of a 3.1 s reload on the test VM.
# All but the fstab generator (the root file system's entry) are masked, as systemd.generator(7)
# allows: no getty, SysV scripts, rc.local, GPT auto-discovery, encrypted or verity disks here.
mkdir -p "$rootfs/etc/systemd/system-generators"
for g in "$rootfs"/usr/lib/systemd/system-generators/* "$rootfs"/lib/systemd/system-generators/*; do
    [ -e "$g" ] || continue
    name=${g##*/}
    [ "$name" = systemd-fstab-generator ] || ln -sfn /dev/null "$rootfs/etc/systemd/system-generators/$name"
done
# No message of the day: pam_motd runs run-parts /etc/update-motd.d at every SSH login.
sed -i '/pam_motd\.so/d' "$rootfs/etc/pam.d/sshd"

# Initramfs with the virtio and ext4 drivers the VM boots from.
# MODULES=list: only these (and their dependencies), a small initramfs that unpacks fast under TCG.
printf 'virtio_pci\nvirtio_blk\nvirtio_net\nvirtio_rng\next4\n' >>"$rootfs/etc/initramfs-tools/modules"
sed -i 's/^MODULES=.*/MODULES=list/' "$rootfs/etc/initramfs-tools/initramfs.conf"
mount -t proc proc "$rootfs/proc"
in_root update-initramfs -u -k all >"$tmp/initramfs.log" 2>&1 || {
    cat "$tmp/initramfs.log" >&2
    die "update-initramfs failed"
}
umount "$rootfs/proc"
kernel="$(find "$rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n 1)"
version="${kernel#vmlinuz-}"
[ -n "$kernel" ] || die "$release: no kernel in /boot"
cp "$rootfs/boot/$kernel" "$tmp/vmlinuz"
cp "$rootfs/boot/initrd.img-$version" "$tmp/initrd.img"
in_root lsinitramfs "/boot/initrd.img-$version" >"$tmp/initrd.list"
# A driver is in the initramfs or built into the kernel (trixie's 6.12 builds virtio_pci in).
for m in virtio_blk.ko virtio_pci.ko ext4.ko; do
    grep -q "/$m" "$tmp/initrd.list" || grep -q "/$m\$" "$rootfs/lib/modules/$version/modules.builtin" ||
        die "initramfs lacks $m and the kernel does not have it built in"
done
rm -f "$tmp/initrd.list" "$tmp/initramfs.log"

# Slim down and make the disk (no mount needed: mke2fs copies the directory).
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs/debootstrap"
cp "$rootfs/etc/ssh/ssh_host_ed25519_key.pub" "$tmp/ssh_host_ed25519_key.pub"
truncate -s 8G "$tmp/disk.raw"
chmod 0600 "$tmp/disk.raw" # it holds the VM's private host key
mke2fs -q -F -t ext4 -L testhost -d "$rootfs" "$tmp/disk.raw"
rm -rf "$rootfs"

log "first boot of the image (docker init, busybox import, AppArmor cache) after $(($(date +%s) - start)) s"
prewarm_timeout="${PULUMI_APPARMOR_PREWARM_TIMEOUT:-1500}"
prewarm() {
    timeout "$prewarm_timeout" qemu-system-x86_64 -nodefaults -accel tcg,thread=multi -cpu max \
        -m 2048 -smp 2 -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.img" \
        -append "root=/dev/vda rw console=ttyS0 loglevel=4 mitigations=off panic=-1 pulumi_apparmor.prewarm=1" \
        -drive "file=$tmp/disk.raw,if=virtio,format=raw" -netdev user,id=n0,restrict=on \
        -device virtio-net-pci,netdev=n0 -object rng-random,filename=/dev/urandom,id=rng0 \
        -device virtio-rng-pci,rng=rng0 -serial "file:$tmp/prewarm-console.log" -display none \
        -monitor none -no-reboot >"$tmp/prewarm-qemu.log" 2>&1
}
prewarmed() {
    debugfs -R 'cat /var/lib/pulumi-apparmor/prewarmed' "$tmp/disk.raw" 2>/dev/null | grep -q sha256:
}
# A guest kernel panic while booting (seen rarely under TCG on a loaded machine, in early kernel init)
# gets one more boot.
prewarm_rc=0
prewarm || prewarm_rc=$?
if ! prewarmed && grep -q 'Kernel panic - not syncing' "$tmp/prewarm-console.log"; then
    log "the guest kernel panicked during the first boot; booting again"
    prewarm_rc=0
    prewarm || prewarm_rc=$?
fi
if [ "$prewarm_rc" -ne 0 ]; then
    tail -n 40 "$tmp/prewarm-console.log" "$tmp/prewarm-qemu.log" >&2
    die "the first boot of the image failed or took over $prewarm_timeout s"
fi
if ! prewarmed; then
    tail -n 40 "$tmp/prewarm-console.log" >&2
    die "the first boot of the image did not complete (no busybox image recorded)"
fi
rm -f "$tmp/prewarm-qemu.log"

build_s="$(($(date +%s) - start))"
printf '{"recipe":"%s","release":"%s","kernel":"%s","mirror":"%s","builtAt":"%s","buildSeconds":%s}\n' \
    "$hash" "$release" "$version" "$mirror" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$build_s" >"$tmp/image.json"
cache_commit "$dest" 0700
log "built $dest in $build_s s"
echo "$dest"
exit 0
}
