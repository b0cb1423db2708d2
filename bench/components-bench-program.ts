/**
 * Part A of the components benchmark (components-bench.ts): the two programs, as top-level code of
 * a module, the way `pulumi preview` runs a program's index.ts (the language host `require`s it), so
 * both construct their resources below the same module-loading frames. Pulumi records a stack trace
 * per resource and per resource property (source-mapped under ts-node, at most
 * `Error.stackTraceLimit` frames each), so the depth at which resources are constructed is part of
 * their cost; here it is the same, realistic one for both programs.
 *
 * Parameters come from the benchmark child through `globalThis.__paBenchProgram`.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as apparmor from "../src";

const { kind, profiles, hosts } = (
    globalThis as unknown as {
        __paBenchProgram: { kind: "profile" | "command"; profiles: number; hosts: number };
    }
).__paBenchProgram;

const hostList = Array.from({ length: hosts }, (_, i) => ({
    host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    user: "deploy",
    privateKey: pulumi.secret(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    ),
}));

if (kind === "profile") {
    // per profile: the component + one HostProfile per host; one prepare Command per host.
    for (let p = 0; p < profiles; p++) {
        new apparmor.Profile(`p${p}`, {
            hosts: hostList,
            profile: apparmor
                .dockerDefault({ name: `bench-${p}` })
                .with(apparmor.deny.file("/tmp/a/**", "rwlx")),
        });
    }
} else {
    const { dockerDefault, deny, renderProfile } = apparmor;
    for (let p = 0; p < profiles; p++) {
        const text = renderProfile(
            dockerDefault({ name: `bench-${p}` })
                .with(deny.file("/tmp/a/**", "rwlx"))
                .toModel(),
        );
        for (const h of hostList) {
            new command.remote.Command(`p${p}-${h.host}`, {
                connection: { host: h.host, user: h.user, privateKey: h.privateKey },
                create: `sudo -n apparmor_parser -r -W /etc/apparmor.d/containers/bench-${p}`,
                stdin: text,
            });
        }
    }
}
