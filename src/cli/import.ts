/**
 * `pulumi-apparmor import --host USER@HOST[:PORT] --key FILE (--host-key KEY | --known-hosts FILE)
 *  --out DIR [--profile NAME]... [--dir DIR] [--project NAME]`
 *
 * Reads the host's profiles (one `inventory` run: the files in the profile directory with their
 * texts, what is loaded and in which mode, the containers) and writes a ready Pulumi program into
 * DIR (which must not exist or be empty): `index.ts` with one `Profile` per profile file not managed
 * by this library (or the `--profile` ones), `adopt: true`, `profiles/NAME` holding each text byte
 * for byte, `Pulumi.yaml`, `package.json`, `tsconfig.json`. The host is only read.
 */
import { promises as fs } from "fs";
import * as path from "path";
import type { CliIo } from "./main";
import { checkHostOptions, newHostOptions, openHost, takeHostOption, UsageError } from "./hostArgs";
import { inventoryRows } from "./inventoryView";
import { importChoice, programFiles, projectName, renderProgram } from "./importProgram";
import { readInventory } from "../host/inventory";
import { closeAll } from "../components/ssh";
import { escapeControls } from "../log/escape";
import { validateProfileName } from "../host";

const USAGE = `usage: pulumi-apparmor import --host USER@HOST[:PORT] --key FILE
                              (--host-key 'TYPE BASE64' | --host-key SHA256:… | --known-hosts FILE)
                              --out DIR [--profile NAME]... [--dir DIR] [--project NAME]
                              [--sudo|--no-sudo]
  --out DIR       where to write the program (must not exist, or be empty)
  --profile NAME  adopt this profile file of the directory (repeatable; default: every file there
                  that pulumi-apparmor does not manage)
  --dir DIR       the profile directory on the host (default /etc/apparmor.d/containers)
  --project NAME  the Pulumi project name (default apparmor-HOST)
`;

async function emptyOrAbsent(dir: string): Promise<boolean> {
    try {
        return (await fs.readdir(dir)).length === 0;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "ENOENT";
    }
}

function libraryVersion(): string {
    for (const p of ["../../package.json", "../../../package.json"]) {
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const v = require(path.join(__dirname, p)) as { name?: string; version?: string };
            if (v.name === "pulumi-apparmor" && v.version) return v.version;
        } catch {
            // try the next
        }
    }
    return "0.1.0";
}

export async function run(argv: string[], io: CliIo): Promise<number> {
    const o = newHostOptions();
    let out: string | undefined;
    let project: string | undefined;
    const wanted: string[] = [];
    try {
        for (let i = 0; i < argv.length; i++) {
            const arg = argv[i];
            const last = takeHostOption(argv, i, o);
            if (last >= 0) {
                i = last;
                continue;
            }
            const value = () => {
                const v = argv[++i];
                if (!v) throw new UsageError(`${arg} needs a value`);
                return v;
            };
            if (arg === "--out") out = value();
            else if (arg === "--project") {
                project = value();
                if (!/^[A-Za-z0-9_.-]{1,100}$/.test(project))
                    throw new UsageError("--project: use 1–100 characters among A-Z a-z 0-9 _ . -");
            } else if (arg === "--profile") {
                const n = value();
                const why = validateProfileName(n);
                if (why) throw new UsageError(`--profile: ${why}`);
                wanted.push(n);
            } else if (arg === "-h" || arg === "--help") {
                io.stdout.write(USAGE);
                return 0;
            } else throw new UsageError(`unknown argument ${arg}`);
        }
        checkHostOptions(o);
        if (!out) throw new UsageError("--out DIR is required");
        if (!(await emptyOrAbsent(out)))
            throw new UsageError(`--out: ${out} exists and is not empty (nothing is overwritten)`);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.stderr.write(`pulumi-apparmor import: ${escapeControls(e.message)}\n${USAGE}`);
        return 2;
    }
    try {
        const host = await openHost(o);
        const inv = await readInventory(host.exec, { dir: host.dir, sudo: host.sudo });
        const rows = inventoryRows(inv).filter((r) => r.file !== undefined);
        const texts = new Map(inv.files.map((f) => [f.name, f.text]));
        const missing = wanted.filter((n) => !rows.some((r) => r.name === n));
        if (missing.length > 0) {
            io.stderr.write(
                `pulumi-apparmor import: no profile file ${missing.join(", ")} in ${host.dir} on ${host.label}\n`,
            );
            return 1;
        }
        const chosen =
            wanted.length > 0
                ? rows.filter((r) => wanted.includes(r.name))
                : rows.filter((r) => !r.managed);
        const choices = chosen.map((r) => importChoice(r, texts.get(r.name), host.label));
        const dir = out!;
        await fs.mkdir(path.join(dir, "profiles"), { recursive: true });
        for (const c of choices)
            if (c.text !== undefined && validateProfileName(c.row.name) === undefined)
                await fs.writeFile(path.join(dir, "profiles", c.row.name), c.text, { flag: "wx" });
        const files = {
            ...programFiles(project ?? projectName(o.host!), libraryVersion()),
            "index.ts": renderProgram(
                {
                    host: o.host!,
                    port: o.port,
                    user: o.user,
                    hostKey: host.target.hostKey!,
                    ...(o.sudo !== undefined ? { sudo: o.sudo } : {}),
                    dir: inv.dir,
                    label: host.label,
                },
                choices,
                new Date().toISOString(),
            ),
        };
        for (const [name, text] of Object.entries(files))
            await fs.writeFile(path.join(dir, name), text, { flag: "wx" });
        const adopted = choices.filter((c) => c.problems.length === 0 && c.mode);
        for (const c of choices)
            io.stdout.write(
                c.problems.length === 0 && c.mode
                    ? `adopted ${escapeControls(c.row.name)} (${c.mode})\n`
                    : `not adopted ${escapeControls(c.row.name)}: ${escapeControls(c.problems.join("; "))}\n`,
            );
        io.stdout.write(
            `wrote ${escapeControls(dir)}: ${adopted.length} profile(s). Next:\n` +
                `  cd ${escapeControls(dir)} && npm install && pulumi stack init\n` +
                "  pulumi config set --secret sshKey < PATH_TO_PRIVATE_KEY\n" +
                "  pulumi up   # changes nothing on the host\n",
        );
        return 0;
    } catch (e) {
        io.stderr.write(`pulumi-apparmor import: ${escapeControls((e as Error).message)}\n`);
        return e instanceof UsageError ? 2 : 1;
    } finally {
        closeAll();
    }
}
