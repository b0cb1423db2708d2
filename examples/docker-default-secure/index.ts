// The seed's scenario: moby's docker-default profile plus `deny /tmp/a/** rwlx,` and
// `deny capability fsetid,`, loaded on a host over SSH, and a container confined by it.
// Both are rendered `audit deny` (the Profile's `auditDenies: "user"`, the default): AppArmor does not
// log plain `deny` rules (they are "quiet"), so without `audit` the denial would happen but never
// reach the `denials` output; `audit deny` is also what complain mode turns into logged `ALLOWED`
// events. The docker-default template's own denies stay quiet, as in moby's profile.
//
// In your own project: `import * as apparmor from "pulumi-apparmor";`
import * as pulumi from "@pulumi/pulumi";
import * as apparmor from "../../src";

const cfg = new pulumi.Config();
const hostKey = cfg.get("hostKey");
const dockerHost = cfg.get("dockerHost");
const host: apparmor.HostConnectionArgs = {
    host: cfg.require("host"),
    port: cfg.getNumber("port") ?? 22,
    user: cfg.get("user") ?? "root",
    privateKey: cfg.requireSecret("sshKey"),
    ...(hostKey ? { hostKey } : {}),
    ...(dockerHost ? { dockerHost } : {}),
    name: "web-host",
};

const secure = new apparmor.Profile("secure", {
    hosts: [host],
    profile: apparmor
        .dockerDefault({ name: cfg.get("profileName") ?? "docker-default-secure" })
        .with(apparmor.deny.file("/tmp/a/**", "rwlx"), apparmor.deny.capability("fsetid")),
    mode: (cfg.get("mode") as "enforce" | "complain" | undefined) ?? "enforce",
    prepareHosts: cfg.getBoolean("prepareHosts") ?? true,
});

const command = (cfg.get("command") ?? "").split(" ").filter((w) => w !== "");
const web = new apparmor.ProfiledContainer("web", {
    profile: secure,
    container: {
        image: cfg.get("image") ?? "nginx",
        ...(command.length > 0 ? { command } : {}),
        mustRun: true,
    },
});

export const profileName = secure.profileName;
export const securityOpt = secure.securityOpt;
/** Per host: version (sha256), mode, load time, last versions. */
export const versions = secure.versions;
/** Per host: denials per profile version. */
export const denials = secure.denials;
/** Per host: drift found by the last refresh. */
export const drift = secure.drift;
/** Per host: AppArmor parser version, kernel, ABI files and kernel features (as the last install read them). */
export const hostAbi = secure.hostAbi;
export const containerId = web.container.id;
export const containerName = web.container.name;
/** The container's real AppArmor label, as read from /proc/<pid>/attr/current on the host. */
export const label = web.label;
