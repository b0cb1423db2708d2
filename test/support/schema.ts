/**
 * The component provider's schema (`provider/`, issue #14) as `pulumi package get-schema` prints it,
 * run with the engine the tests use (`test/support/engineSelect.ts`) in a throwaway `PULUMI_HOME`.
 * The reviewed copy is `provider/schema.json`; `npm run schema` rewrites it:
 *
 *     ts-node test/support/schema.ts --write
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { distIsFresh } from "./distFresh";
import { engineBinDir, engineEnv } from "./engine";

export { distIsFresh };

/** The plugin folder of the component provider. */
export const PROVIDER_DIR = path.resolve(__dirname, "..", "..", "provider");

/** The reviewed schema file. */
export const SCHEMA_FILE = path.join(PROVIDER_DIR, "schema.json");

let built: Promise<unknown> | undefined;

/**
 * Compiles the library into `dist/` (once per process) unless `dist/` is newer than every source
 * file: the provider loads the compiled library (`provider/index.ts` imports `../dist/src`), so a
 * stale `dist/` would test old code. A fresh `dist/` (`npm ci` builds it) is left alone, so that no
 * other test process reading `dist/` at the same time (`npm test` runs two) sees a file being rewritten.
 */
export function buildLibrary(): Promise<unknown> {
    const root = path.join(PROVIDER_DIR, "..");
    built ??= distIsFresh(root)
        ? Promise.resolve()
        : promisify(execFile)(path.join(root, "node_modules", ".bin", "tsc"), [
              "-p",
              path.join(root, "tsconfig.json"),
          ]);
    return built;
}

/** `pulumi package get-schema provider/`: the schema text (ending in a newline) and its time. */
export async function liveSchema(): Promise<{ text: string; ms: number }> {
    await buildLibrary();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-apparmor-schema-"));
    try {
        const home = path.join(tmp, "home");
        fs.mkdirSync(home);
        const started = Date.now();
        const { stdout } = await promisify(execFile)(
            path.join(engineBinDir(), "pulumi"),
            ["package", "get-schema", PROVIDER_DIR],
            {
                env: { ...process.env, ...engineEnv(path.join(tmp, "backend"), home) },
                maxBuffer: 64 * 1024 * 1024,
            },
        );
        const ms = Date.now() - started;
        // Parsed and printed again, so the file does not depend on the CLI's whitespace.
        return { text: `${JSON.stringify(JSON.parse(stdout), null, 2)}\n`, ms };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

if (require.main === module && process.argv.includes("--write")) {
    liveSchema().then(
        ({ text, ms }) => {
            fs.writeFileSync(SCHEMA_FILE, text);
            process.stdout.write(`wrote ${SCHEMA_FILE} (get-schema took ${ms} ms)\n`);
        },
        (e: Error) => {
            process.stderr.write(`${e.message}\n`);
            process.exit(1);
        },
    );
}
