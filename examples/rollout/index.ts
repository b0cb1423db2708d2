// Rolling out a profile change across a fleet: the first host is the canary. A new version is loaded
// there in complain mode (nothing is denied yet; what the new rules WOULD deny is logged as ALLOWED),
// the canary soaks for `soakSeconds`, and only when it logged at most `maxNewDenials` such events is
// it switched to enforce — in the same `pulumi up` — and the rest of the hosts follow the same way.
// Over budget, the up fails naming the host, the counts, the top denials and suggested rules; the
// other hosts keep the version they had (and with onGateFailure "revert" the canary goes back too).
//
// In your own project: `import * as apparmor from "pulumi-apparmor";`
import * as pulumi from "@pulumi/pulumi";
import * as apparmor from "../../src";

const cfg = new pulumi.Config();
interface HostEntry {
    host: string;
    port?: number;
    user?: string;
    hostKey?: string;
    name?: string;
}
const key = cfg.requireSecret("sshKey");
const hosts: apparmor.HostConnectionArgs[] = cfg
    .requireObject<HostEntry[]>("hosts")
    .map((h) => ({ ...h, privateKey: key }));

let profile = apparmor.dockerDefault({ name: "web" }).with(apparmor.deny.capability("fsetid"));
for (const path of (cfg.get("extraDeny") ?? "").split(",").filter((p) => p !== ""))
    profile = profile.with(apparmor.audit.deny.file(path, "rwlx"));

const web = new apparmor.Profile("web", {
    hosts,
    profile,
    mode: "enforce",
    prepareHosts: cfg.getBoolean("prepareHosts") ?? true,
    rollout: {
        waves: [1, "100%"], // the canary, then everything else
        promote: { from: "complain" },
        gate: {
            soakSeconds: cfg.getNumber("soakSeconds") ?? 30,
            maxNewDenials: cfg.getNumber("maxNewDenials") ?? 0,
        },
        onGateFailure: (cfg.get("onGateFailure") as "halt" | "revert" | undefined) ?? "halt",
    },
});

/** The hosts of each wave, in order. */
export const plan = web.rolloutPlan;
/** Per host: version (sha256), mode, load time and history (complain, then enforce, per version). */
export const versions = web.versions;
/** Per host: denials (and ALLOWED events) per version. */
export const denials = web.denials;
/** Per host, per version: rules that would allow what was denied. */
export const suggestions = web.suggestions;
export const securityOpt = web.securityOpt;
