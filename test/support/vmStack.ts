/**
 * The setup shared by the component engine tests and the engine benchmark: the test VM as a
 * `Profile` host connection (key as a Pulumi secret, host key pinned) and the example's
 * docker-default-secure profile (docker-default + `audit deny /tmp/a/** rwlx` + `deny capability
 * fsetid`, plus optional extra denied paths).
 *
 * ```ts
 * const ctx = await vmContext();
 * await ctx.clearProfiles(["pa-eng-x"]);
 * const program = async () => {
 *     new Profile("secure", { hosts: [ctx.host()], profile: secureProfile("pa-eng-x") });
 * };
 * ```
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { Profile, type HostConnectionArgs } from "../../src/components";
import { audit, deny, type ProfileBuilder } from "../../src/profile/builders";
import { dockerDefault } from "../../src/profile/dockerDefault";
import { sharedTestHost, sshExec, type ExecResult, type TestHostInfo } from "./testhost";

/** The docker-default-secure profile a test program deploys (tests change it between `up`s). */
export interface ProfileSpec {
    name: string;
    /** Paths denied (`audit deny PATH rwlx`) on top of the example's rules. */
    extra: string[];
    mode: "enforce" | "complain";
    /** Load it as `NAME-<8 hex of version>` (Profile's `versionedName`). Defaults to false. */
    versionedName?: boolean;
}

/**
 * A compose file of two busybox services, `one` (with `no-new-privileges:true`, which the apparmor
 * option must be added beside) and `two`, as the ComposeProject tests deploy it.
 */
export const TWO_SERVICE_COMPOSE = `services:
  one:
    image: local/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    security_opt: ["no-new-privileges:true"]
  two:
    image: local/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
`;

/** Where `Profile` puts the profile files by default. */
export const PROFILE_DIR = "/etc/apparmor.d/containers";

export interface VmContext {
    readonly vm: TestHostInfo;
    /** The VM's private key (OpenSSH text). */
    readonly key: string;
    /** Runs a shell command on the VM as root (pooled test connection; a non-zero exit does not throw). */
    root(cmd: string): Promise<ExecResult>;
    /**
     * The VM as a `Profile` host, named "vm" in the outputs; `docker: true` adds its dockerd
     * (for ProfiledContainer / dockerProvider).
     */
    host(opts?: { docker?: boolean }): HostConnectionArgs;
    /** Unloads and deletes the named profiles' files (left over from an earlier run). */
    clearProfiles(names: readonly string[]): Promise<void>;
    /**
     * What the host says of a container: the kernel's label of its init process and docker's
     * AppArmorProfile, e.g. `web (enforce) web`.
     */
    hostLabel(containerId: string): Promise<string>;
}

/**
 * The helpers above for `vm`, by default the shared test VM (`PULUMI_APPARMOR_TESTHOST_STATE` selects
 * a running one); e.g. `vmContext((await trixieTestHost()).info)` for a trixie VM.
 */
export async function vmContext(vm?: TestHostInfo): Promise<VmContext> {
    vm ??= await sharedTestHost();
    const key = fs.readFileSync(vm.privateKeyPath, "utf8");
    const root = (cmd: string) => sshExec(vm, cmd, { asRoot: true });
    return {
        vm,
        key,
        root,
        host: (opts = {}) => ({
            host: vm.host,
            port: vm.port,
            user: vm.user,
            privateKey: pulumi.secret(key),
            hostKey: vm.hostKey,
            ...(opts.docker ? { dockerHost: vm.dockerHost } : {}),
            name: "vm",
        }),
        clearProfiles: async (names) => {
            await root(
                `for n in ${names.join(" ")}; do apparmor_parser -R ${PROFILE_DIR}/$n 2>/dev/null; ` +
                    `rm -f ${PROFILE_DIR}/$n; done; true`,
            );
        },
        hostLabel: async (id) =>
            (
                await root(
                    `p=$(docker inspect -f '{{.State.Pid}}' ${id}); ` +
                        `echo "$(cat /proc/$p/attr/current) $(docker inspect -f '{{.AppArmorProfile}}' ${id})"`,
                )
            ).stdout.trim(),
    };
}

/**
 * The example's docker-default-secure profile under `name`: docker-default plus
 * `audit deny /tmp/a/** rwlx` and `deny capability fsetid`, then `audit deny PATH rwlx` for each
 * of `extra`.
 */
export function secureProfile(name: string, extra: readonly string[] = []): ProfileBuilder {
    let profile = dockerDefault({ name }).with(
        audit.deny.file("/tmp/a/**", "rwlx"),
        deny.capability("fsetid"),
    );
    for (const p of extra) profile = profile.with(audit.deny.file(p, "rwlx"));
    return profile;
}

/**
 * `new Profile("secure", …)` of `spec` on the VM (with its dockerd, host named "vm"). The
 * preparation step needs pulumi-resource-command, which the engine build may lack; the VM is
 * prepared already, so it runs only when `prepareHosts` (the harness's `hasCommandProvider`).
 */
export function secureProfileOnVm(
    ctx: VmContext,
    spec: ProfileSpec,
    prepareHosts: boolean,
): Profile {
    return new Profile("secure", {
        hosts: [ctx.host({ docker: true })],
        profile: secureProfile(spec.name, spec.extra),
        mode: spec.mode,
        prepareHosts,
        ...(spec.versionedName ? { versionedName: true } : {}),
    });
}
