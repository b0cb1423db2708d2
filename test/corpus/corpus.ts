/**
 * The profile corpus used by the round-trip test and the benchmark: real-world AppArmor policy
 * files installed by Debian's `apparmor`, `apparmor-profiles` and `apparmor-profiles-extra`, plus
 * the docker-default template rendered by this library when that module exists.
 *
 * Also a small `apparmor_parser` runner (compile-only, no kernel, no cache) with bounded parallelism.
 */

import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

export const APPARMOR_D = "/etc/apparmor.d";
export const EXTRA_PROFILES = "/usr/share/apparmor/extra-profiles";

/** Subdirectories of /etc/apparmor.d that hold include fragments or control files, not profiles. */
const NON_PROFILE_DIRS = new Set([
    "abi",
    "abstractions",
    "tunables",
    "local",
    "disable",
    "force-complain",
    "cache",
]);

export interface CorpusFile {
    /** display name, e.g. `etc/usr.sbin.dnsmasq`, `extra/postfix-smtp`, `docker-default`. */
    readonly name: string;
    /** absolute path, or a synthetic name for generated texts. */
    readonly path: string;
    readonly text: string;
}

function listFiles(dir: string, skipDirs: ReadonlySet<string>): string[] {
    if (!fs.existsSync(dir)) return [];
    const out: string[] = [];
    for (const e of fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            if (!skipDirs.has(e.name)) out.push(...listFiles(p, new Set()));
        } else if (e.isFile() && e.name !== "README" && !e.name.startsWith(".")) {
            out.push(p);
        }
    }
    return out;
}

/**
 * Every profile file of the corpus: top-level files and profile subdirectories (e.g. apache2.d) of
 * /etc/apparmor.d, every file of /usr/share/apparmor/extra-profiles, and docker-default.
 */
export function corpusFiles(): CorpusFile[] {
    const files: CorpusFile[] = [];
    for (const p of listFiles(APPARMOR_D, NON_PROFILE_DIRS)) {
        files.push({ name: "etc/" + path.relative(APPARMOR_D, p), path: p, text: read(p) });
    }
    for (const p of listFiles(EXTRA_PROFILES, new Set())) {
        files.push({ name: "extra/" + path.relative(EXTRA_PROFILES, p), path: p, text: read(p) });
    }
    const docker = dockerDefaultText();
    if (docker !== undefined) {
        files.push({ name: "docker-default", path: "docker-default", text: docker });
    }
    return files;
}

function read(p: string): string {
    return fs.readFileSync(p, "utf8");
}

/** docker-default rendered by src/profile/dockerDefault.ts (validate helper's module), if present. */
export function dockerDefaultText(): string | undefined {
    const modPath = path.join(__dirname, "..", "..", "src", "profile", "dockerDefault.ts");
    if (!fs.existsSync(modPath)) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(modPath) as Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const render = require("../../src/profile/render") as typeof import("../../src/profile/render");
    const fn = (mod.dockerDefaultModel ?? mod.dockerDefault) as
        | ((o: { name: string }) => unknown)
        | undefined;
    if (typeof fn !== "function") return undefined;
    const model = fn({ name: "docker-default" }) as Parameters<typeof render.renderProfile>[0];
    return render.renderProfile(model);
}

export function haveApparmorParser(): boolean {
    return spawnSync("apparmor_parser", ["--version"], { stdio: "ignore" }).status === 0;
}

export interface CompileResult {
    readonly ok: boolean;
    /** compiled binary policy (`-S`), empty when !ok. */
    readonly binary: Buffer;
    readonly stderr: string;
    readonly ms: number;
    /** exit code (null when killed by a signal or not started). */
    readonly code: number | null;
}

/** Arguments shared by every compile: compile only, no cache, same include/base dir. */
export const PARSER_ARGS = ["-Q", "-K", "-S", "-I", APPARMOR_D, "-b", APPARMOR_D];

/**
 * `apparmor_parser -Q -K -S -I /etc/apparmor.d -b /etc/apparmor.d` on `text` via stdin; `command`
 * runs another parser (e.g. `["chroot", DIR, "apparmor_parser"]`).
 */
export function compile(
    text: string,
    args: readonly string[] = PARSER_ARGS,
    command: readonly string[] = ["apparmor_parser"],
): Promise<CompileResult> {
    return new Promise((resolve) => {
        const start = process.hrtime.bigint();
        const child = spawn(command[0], [...command.slice(1), ...args], {
            stdio: ["pipe", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", (e) =>
            resolve({ ok: false, binary: Buffer.alloc(0), stderr: String(e), ms: 0, code: null }),
        );
        child.on("close", (code) => {
            const ms = Number(process.hrtime.bigint() - start) / 1e6;
            resolve({
                ok: code === 0,
                binary: code === 0 ? Buffer.concat(out) : Buffer.alloc(0),
                stderr: Buffer.concat(err)
                    .toString("utf8")
                    .split("\n")
                    .filter((l) => l && !l.startsWith("Cache read/write disabled"))
                    .join("\n"),
                ms,
                code,
            });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(text);
    });
}

// ---------------------------------------------------------------------------------------------------
// Compile cache: apparmor_parser is deterministic, so its output for the same parser binary, the same
// arguments, the same include tree and the same input bytes can be reused across runs. The key covers
// all four, so a changed renderer (new text) or an upgraded apparmor package always compiles afresh.
// Disable with PULUMI_APPARMOR_COMPILE_CACHE=0. The benchmark never uses it.
// ---------------------------------------------------------------------------------------------------

let environmentKey: string | undefined;

function hashTree(dir: string, h: ReturnType<typeof createHash>): void {
    if (!fs.existsSync(dir)) return;
    for (const e of fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            if (e.name !== "cache") hashTree(p, h);
        } else if (e.isFile()) {
            h.update(p + "\0");
            h.update(fs.readFileSync(p));
            h.update("\0");
        }
    }
}

/** sha256 of the parser binary, its version and the whole include tree (/etc/apparmor.d). */
export function compileEnvironmentKey(): string {
    if (environmentKey === undefined) {
        const h = createHash("sha256");
        const which = spawnSync("sh", ["-c", "command -v apparmor_parser"], { encoding: "utf8" });
        const bin = which.stdout.trim();
        if (bin && fs.existsSync(bin)) h.update(fs.readFileSync(bin));
        h.update(spawnSync("apparmor_parser", ["--version"], { encoding: "utf8" }).stdout ?? "");
        hashTree(APPARMOR_D, h);
        environmentKey = h.digest("hex");
    }
    return environmentKey;
}

function cacheDir(): string | undefined {
    if (process.env.PULUMI_APPARMOR_COMPILE_CACHE === "0") return undefined;
    const root = process.env.PULUMI_APPARMOR_CACHE || "/var/cache/pulumi-apparmor";
    const dir = path.join(root, "apparmor-compile");
    try {
        fs.mkdirSync(dir, { recursive: true });
        return dir;
    } catch {
        return undefined;
    }
}

/** {@link compile}, reusing a cached result for identical (parser, include tree, args, text). */
export async function compileCached(
    text: string,
    args: readonly string[] = PARSER_ARGS,
): Promise<CompileResult & { readonly cached: boolean }> {
    const dir = cacheDir();
    if (!dir) return { ...(await compile(text, args)), cached: false };
    const key = createHash("sha256")
        .update(compileEnvironmentKey())
        .update("\0" + args.join("\0") + "\0")
        .update(text, "utf8")
        .digest("hex");
    const ok = path.join(dir, key + ".bin");
    const bad = path.join(dir, key + ".rejected");
    if (fs.existsSync(ok)) {
        return { ok: true, binary: fs.readFileSync(ok), stderr: "", ms: 0, code: 0, cached: true };
    }
    if (fs.existsSync(bad)) {
        return {
            ok: false,
            binary: Buffer.alloc(0),
            stderr: fs.readFileSync(bad, "utf8"),
            ms: 0,
            code: 1,
            cached: true,
        };
    }
    const r = await compile(text, args);
    // cache successes and ordinary rejections (exit 1), never crashes, signals or spawn failures
    if (r.code === 0 || (r.code === 1 && /error/i.test(r.stderr))) {
        const target = r.ok ? ok : bad;
        const tmp = `${target}.${process.pid}.tmp`;
        try {
            fs.writeFileSync(tmp, r.ok ? r.binary : r.stderr);
            fs.renameSync(tmp, target);
        } catch {
            // a read-only cache is not an error
        }
    }
    return { ...r, cached: false };
}

/** Run `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
    items: readonly T[],
    limit: number,
    fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        for (;;) {
            const i = next++;
            if (i >= items.length) return;
            results[i] = await fn(items[i], i);
        }
    });
    await Promise.all(workers);
    return results;
}
