/**
 * Rewriting a compose file for {@link ComposeProject}: each service's `security_opt` gets
 * `apparmor=NAME` of its profile, replacing any other `apparmor=`/`apparmor:` entry and keeping the
 * others in order (docker applies the last apparmor entry; there is only ours). The result is YAML
 * written by the `yaml` package from the parsed data (comments and anchors do not survive: the file
 * is for the host, which needs neither), so the same input always gives the same bytes. Pure.
 */
import { stringify } from "yaml";
import { createHash } from "crypto";
import type { ComposeFile } from "./parse";
import { APPARMOR_OPT_RE } from "./rules";

/** The file with every service confined by `profileOf[service]`. Throws for a service without one. */
export function rewriteCompose(
    file: ComposeFile,
    profileOf: Readonly<Record<string, string>>,
): string {
    const services: Record<string, Record<string, unknown>> = {};
    for (const [name, s] of Object.entries(file.services)) {
        const profile = profileOf[name];
        if (profile === undefined) throw new Error(`service "${name}" has no profile`);
        const kept = (Array.isArray(s.security_opt) ? s.security_opt : [])
            .map(String)
            .filter((o) => !APPARMOR_OPT_RE.test(o));
        services[name] = { ...s, security_opt: [...kept, `apparmor=${profile}`] };
    }
    // Every string double-quoted: docker-compose 1.x reads YAML 1.1 (PyYAML), where plain `80:80`
    // is a base-60 number and `yes`/`on` are booleans; compose v2 reads YAML 1.2. Quoted, both
    // read exactly the strings that were parsed here.
    return stringify(
        { ...file, services },
        { lineWidth: 0, aliasDuplicateObjects: false, defaultStringType: "QUOTE_DOUBLE" },
    );
}

function canonical(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(canonical);
    if (typeof v === "object" && v !== null)
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        );
    return v;
}

/**
 * sha256 of each service's definition (canonical JSON) in a file: what changed between two versions
 * of a project, service by service (compose recreates exactly the services whose definition changed).
 */
export function serviceDigests(file: ComposeFile): Record<string, string> {
    return Object.fromEntries(
        Object.entries(file.services).map(([n, s]) => [
            n,
            createHash("sha256")
                .update(JSON.stringify(canonical(s)))
                .digest("hex"),
        ]),
    );
}

/**
 * Whether `compose up` leaves a service without containers by design: it is in compose profiles
 * (`profiles: [debug]`, started only when asked), or scaled to zero (`scale: 0`, `deploy.replicas: 0`).
 */
export function startedOnDemand(service: Readonly<Record<string, unknown>>): boolean {
    const profiles = service.profiles;
    const deploy = service.deploy as { replicas?: unknown } | undefined;
    return (
        (Array.isArray(profiles) && profiles.length > 0) ||
        service.scale === 0 ||
        deploy?.replicas === 0
    );
}
