/**
 * What a compose file must satisfy to be run confined by {@link ComposeProject}: every service has a
 * profile, the profile map names only services of the file, and no service opts out of AppArmor
 * (`privileged: true` runs a container unconfined whatever its options say; `apparmor=unconfined` or
 * the old `apparmor:unconfined`), nor in a form only the host would resolve (`${VAR}` interpolation
 * in `privileged` or `security_opt`), nor pulls in files that do not travel with it (`include`,
 * `extends.file`: only the rewritten file is sent to the host). Pure.
 */
import type { ComposeFile } from "./parse";

/** One problem, as components report them: the field, what is wrong, the fix. */
export interface ComposeProblem {
    readonly field: string;
    readonly message: string;
    readonly fix: string;
}

/** `apparmor=X` / `apparmor:X` security options (docker accepts both separators). */
export const APPARMOR_OPT_RE = /^apparmor[=:]/;

function asArray(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

/**
 * The problems of running `file` with `services` (the keys of the service→profile map) and, when
 * `hasDefault`, one profile for every service not in the map. `fileField` names where the file came
 * from in the arguments (`composeFile` or `composeText`).
 */
export function composeProblems(
    file: ComposeFile,
    mapped: readonly string[],
    hasDefault: boolean,
    fileField: string,
): ComposeProblem[] {
    const problems: ComposeProblem[] = [];
    const names = Object.keys(file.services);
    for (const m of mapped)
        if (!names.includes(m))
            problems.push({
                field: `profiles.${m}`,
                message: `no service "${m}" in the compose file (services: ${names.join(", ")})`,
                fix: "use the name of a service of the file, or remove the entry",
            });
    if (file.include !== undefined)
        problems.push({
            field: `${fileField}.include`,
            message: "include pulls in other files, which are not sent to the host",
            fix: "merge the included files into this one",
        });
    for (const name of names) {
        const s = file.services[name] ?? {};
        const at = `${fileField}.services.${name}`;
        if (!mapped.includes(name) && !hasDefault)
            problems.push({
                field: "profiles",
                message: `service "${name}" has no profile`,
                fix: `add "${name}" to profiles, or set profile for every service`,
            });
        if (s.privileged !== undefined && s.privileged !== false)
            problems.push({
                field: `${at}.privileged`,
                message: `${JSON.stringify(s.privileged)}: a privileged container runs unconfined whatever its security options say`,
                fix: "remove privileged (grant the capabilities it needs with cap_add instead)",
            });
        for (const o of asArray(s.security_opt)) {
            const opt = String(o);
            if (opt.includes("$"))
                problems.push({
                    field: `${at}.security_opt`,
                    message: `"${opt.slice(0, 80)}" is interpolated on the host, so it cannot be checked here`,
                    fix: "write the option literally",
                });
            else if (APPARMOR_OPT_RE.test(opt) && opt.slice(9).trim() === "unconfined")
                problems.push({
                    field: `${at}.security_opt`,
                    message: `"${opt}" runs the service without AppArmor`,
                    fix: "remove the entry: ComposeProject sets the service's apparmor option itself",
                });
        }
        const ext = s.extends as { file?: unknown } | string | undefined;
        if (typeof ext === "object" && ext !== null && ext.file !== undefined)
            problems.push({
                field: `${at}.extends.file`,
                message: "extends another file, which is not sent to the host",
                fix: "copy the extended service into this file",
            });
    }
    return problems;
}
