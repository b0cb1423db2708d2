/**
 * Test helper: builds `test/moby-reference` (a Go program around moby's own docker-default generator)
 * once, caches the binary in `$PULUMI_APPARMOR_CACHE/moby-reference/<hash>` (hash of the Go sources, the
 * module pins and the Go version), and runs it.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

const dir = __dirname;

/** Options forwarded to the program (which macros "exist" and the daemon profile). */
export interface MobyReferenceOptions {
    readonly abi?: boolean;
    readonly tunables?: boolean;
    readonly abstractions?: boolean;
    readonly daemonProfile?: string;
}

function cacheRoot(): string {
    return process.env.PULUMI_APPARMOR_CACHE || "/var/cache/pulumi-apparmor";
}

/** Path of the built binary, building it first when the cache has none for this recipe. */
export function mobyReferenceBinary(): string {
    let goVersion: string;
    try {
        goVersion = execFileSync("go", ["version"], { encoding: "utf8" }).trim();
    } catch {
        throw new Error("go (>= 1.23) is required to build test/moby-reference");
    }
    const h = createHash("sha256");
    h.update(goVersion);
    for (const f of ["go.mod", "go.sum", "main.go"]) {
        h.update(`\0${f}\0`);
        h.update(fs.readFileSync(path.join(dir, f)));
    }
    const out = path.join(cacheRoot(), "moby-reference", h.digest("hex").slice(0, 16));
    const bin = path.join(out, "moby-reference");
    if (!fs.existsSync(bin)) {
        fs.mkdirSync(out, { recursive: true });
        const tmp = `${bin}.tmp${process.pid}`;
        execFileSync("go", ["build", "-trimpath", "-o", tmp, "."], {
            cwd: dir,
            stdio: ["ignore", "inherit", "inherit"],
            env: {
                ...process.env,
                // same module/build caches as test/engine/build.sh; the go.sum here is authoritative
                GOMODCACHE: path.join(cacheRoot(), "go", "mod"),
                GOCACHE: path.join(cacheRoot(), "go", "build"),
                GOFLAGS: "-mod=readonly -buildvcs=false",
                GOTOOLCHAIN: "local",
                CGO_ENABLED: "0",
            },
        });
        fs.renameSync(tmp, bin);
    }
    return bin;
}

/** moby's docker-default text for `name`, exactly as moby's generator writes it. */
export function mobyReferenceText(name: string, opts: MobyReferenceOptions = {}): string {
    const args = ["-name", name];
    if (opts.abi) args.push("-abi");
    if (opts.tunables) args.push("-tunables");
    if (opts.abstractions) args.push("-abstractions");
    if (opts.daemonProfile !== undefined) args.push("-daemon-profile", opts.daemonProfile);
    return execFileSync(mobyReferenceBinary(), args, { encoding: "utf8" });
}
