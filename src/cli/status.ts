/**
 * `pulumi-apparmor status --host USER@HOST[:PORT] --key FILE (--host-key KEY | --known-hosts FILE)
 *  [--dir DIR] [--json] [--profile NAME]... [--stack-export FILE]... [--remove-orphans]`
 *
 * The host's inventory (one `inventory` script run): each profile, managed by this library or not,
 * its version, mode, whether the loaded policy is the file compiled, confined processes and their
 * containers. With `--stack-export` (the output of `pulumi stack export`, once per stack managing the
 * host), managed profiles that none of them declares are flagged as orphans; `--remove-orphans`
 * removes those with the library's own `remove` script, never one that confines a process.
 * `--profile` limits all of it (rows, orphans, removal) to the named profiles.
 */
import { promises as fs } from "fs";
import type { CliIo } from "./main";
import { checkHostOptions, newHostOptions, openHost, takeHostOption, UsageError } from "./hostArgs";
import {
    declaredProfiles,
    inventoryRows,
    markOrphans,
    renderStatusTable,
    selectProfiles,
    type ProfileRow,
} from "./inventoryView";
import { readInventory } from "../host/inventory";
import { hostScripts, HostScriptError, validateProfileName } from "../host";
import { closeAll } from "../components/ssh";
import { escapeControls, safeJson } from "../log/escape";

const USAGE = `usage: pulumi-apparmor status --host USER@HOST[:PORT] --key FILE
                              (--host-key 'TYPE BASE64' | --host-key SHA256:… | --known-hosts FILE)
                              [--dir DIR] [--sudo|--no-sudo] [--json] [--profile NAME]...
                              [--stack-export FILE]... [--remove-orphans]
  --key FILE          SSH private key (read from the file)
  --host-key KEY      the host's public key line or SHA256: fingerprint; or --known-hosts FILE
  --dir DIR           the profile directory to list (default /etc/apparmor.d/containers)
  --sudo, --no-sudo   run the host script through sudo -n (default: unless USER is root)
  --json              one JSON object instead of the table
  --profile NAME      only this profile (repeatable): listed, flagged and removed only among these
  --stack-export FILE \`pulumi stack export\` of a stack managing this host (repeatable): managed
                      profiles that no given stack declares are flagged ORPHAN
  --remove-orphans    remove the orphans (the adopted original comes back where there is one);
                      a profile that still confines a process is never removed
`;

interface Args {
    json: boolean;
    exports: string[];
    removeOrphans: boolean;
    profiles: string[];
}

/** One orphan's removal: removed, or kept and why. */
export interface OrphanOutcome {
    readonly name: string;
    readonly removed: boolean;
    readonly restored?: boolean;
    readonly reason?: string;
}

/**
 * Removes the orphans among `rows` with the `remove` script (in-use refused there too, with no
 * wait), skipping at once any that confines processes.
 */
async function removeOrphans(
    rows: readonly ProfileRow[],
    dirs: ReadonlyMap<string, string>,
    host: Awaited<ReturnType<typeof openHost>>,
): Promise<OrphanOutcome[]> {
    const out: OrphanOutcome[] = [];
    for (const r of rows) {
        if (!r.orphan) continue;
        if (r.processes > 0) {
            out.push({
                name: r.name,
                removed: false,
                reason: `in use: ${r.processes} process(es) confined`,
            });
            continue;
        }
        try {
            const res = await hostScripts.remove(host.exec, {
                name: r.name,
                dir: dirs.get(r.name) ?? host.dir,
                sudo: host.sudo,
                onInUse: "refuse",
            });
            out.push(
                res.managed
                    ? { name: r.name, removed: true, restored: res.restored }
                    : { name: r.name, removed: false, reason: "no longer managed" },
            );
        } catch (e) {
            const reason =
                e instanceof HostScriptError && e.code === "in-use"
                    ? `in use: ${Number(e.result?.processes ?? 0)} process(es) confined`
                    : (e as Error).message;
            out.push({ name: r.name, removed: false, reason });
        }
    }
    return out;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
    const o = newHostOptions();
    const a: Args = { json: false, exports: [], removeOrphans: false, profiles: [] };
    try {
        for (let i = 0; i < argv.length; i++) {
            const arg = argv[i];
            const last = takeHostOption(argv, i, o);
            if (last >= 0) i = last;
            else if (arg === "--json") a.json = true;
            else if (arg === "--remove-orphans") a.removeOrphans = true;
            else if (arg === "--profile") {
                const v = argv[++i];
                if (!v) throw new UsageError("--profile needs a profile name");
                const why = validateProfileName(v);
                if (why) throw new UsageError(`--profile: ${why}`);
                a.profiles.push(v);
            } else if (arg === "--stack-export") {
                const v = argv[++i];
                if (!v) throw new UsageError("--stack-export needs a file");
                a.exports.push(v);
            } else if (arg.startsWith("--stack-export=")) a.exports.push(arg.slice(15));
            else if (arg === "-h" || arg === "--help") {
                io.stdout.write(USAGE);
                return 0;
            } else throw new UsageError(`unknown argument ${arg}`);
        }
        checkHostOptions(o);
        if (a.removeOrphans && a.exports.length === 0)
            throw new UsageError("--remove-orphans needs --stack-export (what the stacks declare)");
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.stderr.write(`pulumi-apparmor status: ${escapeControls(e.message)}\n${USAGE}`);
        return 2;
    }
    let declared: Set<string> | undefined;
    for (const f of a.exports) {
        try {
            const names = declaredProfiles(await fs.readFile(f, "utf8"));
            declared = new Set([...(declared ?? []), ...names]);
        } catch (e) {
            io.stderr.write(
                `pulumi-apparmor status: --stack-export ${escapeControls(f)}: ${escapeControls((e as Error).message)}\n`,
            );
            return 2;
        }
    }
    try {
        const host = await openHost(o);
        const inv = await readInventory(host.exec, { dir: host.dir, sudo: host.sudo });
        let rows = selectProfiles(inventoryRows(inv), a.profiles);
        if (declared) rows = markOrphans(rows, declared);
        const dirs = new Map(inv.manifests.map((m) => [m.name, m.dir]));
        const removed = a.removeOrphans ? await removeOrphans(rows, dirs, host) : undefined;
        if (a.json) {
            io.stdout.write(
                `${safeJson({
                    host: host.label,
                    apparmor: inv.apparmor,
                    dir: inv.dir,
                    docker: inv.docker,
                    skipped: inv.skipped,
                    profiles: rows,
                    ...(removed ? { removed } : {}),
                })}\n`,
            );
        } else {
            const ap = inv.apparmor;
            io.stdout.write(
                `${host.label}: AppArmor ${ap.enabled && ap.securityfs ? "enabled" : "NOT enabled"}` +
                    `, profile directory ${inv.dir}` +
                    (inv.docker ? "" : ", container list incomplete (docker did not answer)") +
                    (inv.skipped
                        ? `, ${inv.skipped} name(s) with a tab or newline not shown`
                        : "") +
                    "\n",
            );
            io.stdout.write(renderStatusTable(rows, declared !== undefined));
            for (const r of removed ?? [])
                io.stdout.write(
                    r.removed
                        ? `removed orphan ${escapeControls(r.name)}${r.restored ? " (adopted original restored)" : ""}\n`
                        : `kept orphan ${escapeControls(r.name)}: ${escapeControls(r.reason ?? "")}\n`,
                );
        }
        return removed?.some((r) => !r.removed) ? 1 : 0;
    } catch (e) {
        if (e instanceof UsageError) {
            io.stderr.write(`pulumi-apparmor status: ${escapeControls(e.message)}\n`);
            return 2;
        }
        io.stderr.write(`pulumi-apparmor status: ${escapeControls((e as Error).message)}\n`);
        return 1;
    } finally {
        closeAll();
    }
}
