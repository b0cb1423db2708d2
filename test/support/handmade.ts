/**
 * Profiles "made by hand" on the test VM, as a host has them before pulumi-apparmor: a file in the
 * profile directory loaded with `apparmor_parser -r` (no manifest of ours), and a container running
 * under it. Shared by the inventory (`status`) and `import` tests.
 */
import { sshExec, type TestHostInfo } from "./testhost";

export const HANDMADE_DIR = "/etc/apparmor.d/containers";

/** A container profile a person could have written (valid as a `Profile` text). */
export function handMadeProfile(name: string, mode: "enforce" | "complain"): string {
    const flags =
        mode === "complain"
            ? "attach_disconnected,mediate_deleted,complain"
            : "attach_disconnected,mediate_deleted";
    return [
        "#include <tunables/global>",
        "",
        `# hand-made ${name}`,
        `profile ${name} flags=(${flags}) {`,
        "  #include <abstractions/base>",
        "  network,",
        "  capability,",
        "  file,",
        "  umount,",
        "  signal,",
        "  ptrace,",
        "  unix,",
        "  deny /tmp/secret/** rwlx,",
        "}",
        "",
    ].join("\n");
}

/** Root shell on the VM; throws on a non-zero exit. */
export async function vmRoot(vm: TestHostInfo, cmd: string, stdin?: string): Promise<string> {
    const r = await sshExec(vm, cmd, { asRoot: true, stdin, timeoutMs: 300_000 });
    if (r.code !== 0)
        throw new Error(`VM command failed (${r.code}): ${cmd}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** Writes `text` as DIR/NAME and loads it by hand (as a person would), then starts a container under it. */
export async function placeHandMade(
    vm: TestHostInfo,
    name: string,
    text: string,
    container: string,
): Promise<void> {
    await vmRoot(
        vm,
        `mkdir -p ${HANDMADE_DIR} && cat > ${HANDMADE_DIR}/${name} && apparmor_parser -r ${HANDMADE_DIR}/${name}`,
        text,
    );
    await vmRoot(
        vm,
        `docker rm -f ${container} >/dev/null 2>&1; docker run -d --name ${container} --security-opt apparmor=${name} local/busybox:latest sleep 1000000 >/dev/null`,
    );
}

/** Removes containers, then unloads and deletes hand-made profiles and any record of ours for them. */
export async function removeHandMade(
    vm: TestHostInfo,
    names: readonly string[],
    containers: readonly string[],
): Promise<void> {
    const n = names.join(" ");
    await vmRoot(
        vm,
        `docker rm -f ${containers.join(" ")} >/dev/null 2>&1; ` +
            `for n in ${n}; do printf '%s' "$n" > /sys/kernel/security/apparmor/.remove 2>/dev/null; ` +
            `rm -rf ${HANDMADE_DIR}/$n /var/lib/pulumi-apparmor/profiles/$n /var/lib/pulumi-apparmor/adopted/$n; done; true`,
    );
}

/** The connection options of the CLI for the VM (as the unprivileged user, through sudo). */
export function vmHostArgs(vm: TestHostInfo): string[] {
    return [
        "--host",
        `${vm.user}@${vm.host}:${vm.port}`,
        "--key",
        vm.privateKeyPath,
        "--host-key",
        vm.hostKey,
    ];
}
