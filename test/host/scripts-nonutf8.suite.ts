/**
 * A profile file that is not valid UTF-8 (#16 leftover): AppArmor reads profiles as bytes, so a
 * Latin-1 `é` (0xE9) in a comment and in a quoted path loads fine. On the VM: `status` (alone and
 * in the batched read) reports the sha256 `sha256sum` computes and no drift; the inventory carries
 * the exact bytes; `pulumi-apparmor import` refuses the file naming the host, the file and the
 * byte offset (and writes no copy of it); adopting it in place keeps the original byte for byte and
 * `remove` restores exactly those bytes; the octal escape the refusal suggests compiles to the same
 * policy.
 * A function of the release (issue #18): scripts-nonutf8.test.ts runs it on the shared Debian 12 VM,
 * scripts-nonutf8.trixie.test.ts on the shared Debian 13 one (AppArmor 4.1's parser, kernel 6.12).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostScripts } from "../../src/host";
import { readInventory } from "../../src/host/inventory";
import { parseRead, readCommand, type ReadPart } from "../../src/host/read";
import { inventoryRows } from "../../src/cli/inventoryView";
import { run as runImport } from "../../src/cli/import";
import { run as runStatus } from "../../src/cli/status";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import { HANDMADE_DIR, removeHandMade, vmHostArgs, vmRoot } from "../support/handmade";
import { runCli } from "../support/cliRun";
import { compiledSha1, execFor, fileSha256, kernelMode, kernelRawSha1 } from "./scripts-support";

const NAME = "pa-nonutf8";
const FILE = `${HANDMADE_DIR}/${NAME}`;
const ESCAPED = "/tmp/pa-nonutf8-escaped";

/** The profile with `é` as `byte` (a printf format: `\\351` is 0xE9, `\\\\351` the text `\351`). */
function printfText(commentByte: string, pathByte: string): string {
    return (
        "#include <tunables/global>\\n\\n" +
        `# hand-made by caf${commentByte} (Latin-1)\\n` +
        `profile ${NAME} flags=(attach_disconnected,mediate_deleted) {\\n` +
        "  #include <abstractions/base>\\n" +
        "  file,\\n" +
        `  audit deny "/tmp/caf${pathByte}/**" w,\\n` +
        "}\\n"
    );
}

/** The same text as the bytes the test expects on the VM (é as the single byte 0xE9). */
const LATIN1 = Buffer.from(printfText("\xe9", "\xe9").replace(/\\n/g, "\n"), "latin1");

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function scriptsNonUtf8Suite(release: Release): void {
    describe(`a profile file that is not UTF-8 (Latin-1 é in a comment and a path) on the VM${releaseHost(release).suffix}`, function () {
        this.timeout(900_000);
        let vm: TestHostInfo;
        let tmp: string;
        let hostSha = "";
        const firstE9 = LATIN1.indexOf(0xe9);

        before(async function () {
            this.timeout(1_800_000);
            vm = await releaseHost(release).host();
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-nonutf8-"));
            await removeHandMade(vm, [NAME], []);
            await vmRoot(
                vm,
                `mkdir -p ${HANDMADE_DIR} && printf '${printfText("\\351", "\\351")}' > ${FILE} && apparmor_parser -r ${FILE}`,
            );
            hostSha = await fileSha256(vm, FILE);
        });

        after(async function () {
            if (vm) {
                await hostScripts
                    .remove(execFor(vm), { name: NAME, sudo: true })
                    .catch(() => undefined);
                await removeHandMade(vm, [NAME], []);
                await vmRoot(vm, `rm -f ${ESCAPED}`);
            }
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        it("the file on the VM is the Latin-1 bytes, not UTF-8, and apparmor_parser loaded it", async () => {
            const hex = (await vmRoot(vm, `od -An -tx1 -v ${FILE} | tr -d ' \\n'`)).trim();
            assert.strictEqual(hex, LATIN1.toString("hex"));
            assert.ok(LATIN1.includes(Buffer.from([0xe9])));
            assert.strictEqual(await kernelMode(vm, NAME), "enforce");
            assert.match(hostSha, /^[0-9a-f]{64}$/);
        });

        it("status reports the sha256 sha256sum computes, the loaded policy is the file: no drift", async () => {
            const exec = execFor(vm);
            const st = await hostScripts.status(exec, {
                names: [NAME],
                dir: HANDMADE_DIR,
                sudo: true,
            });
            const p = st.profiles.find((x) => x.name === NAME)!;
            assert.ok(p, JSON.stringify(st));
            assert.strictEqual(p.file.present, true);
            assert.strictEqual(p.file.sha256, hostSha);
            assert.strictEqual(p.file.mode, "enforce");
            assert.strictEqual(p.loaded, true);
            assert.strictEqual(p.policySha1, await kernelRawSha1(vm, NAME));
            assert.strictEqual(p.fileSha1, await compiledSha1(vm, FILE));
            assert.strictEqual(p.policyMatchesFile, true);
            assert.strictEqual(p.compileError, null);
            // The batched read a refresh uses says the same.
            const parts: ReadPart[] = [{ kind: "status", dir: HANDMADE_DIR, names: [NAME] }];
            const c = readCommand(parts, { sudo: true });
            const [r] = parseRead(parts, await exec(c.command));
            assert.ok(r.ok, r.ok ? "" : r.error.message);
            const q = (r.value as typeof st).profiles[0];
            assert.strictEqual(q.file.sha256, hostSha);
            assert.strictEqual(q.policyMatchesFile, true);
        });

        it("inventory: the exact bytes and sha256; no version (not UTF-8, the byte named); status --json says so", async () => {
            const inv = await readInventory(execFor(vm), { dir: HANDMADE_DIR, sudo: true });
            const f = inv.files.find((x) => x.name === NAME)!;
            assert.ok(f);
            assert.strictEqual(f.sha256, hostSha);
            assert.ok(f.raw?.equals(LATIN1), "the inventory's bytes are the file's");
            assert.strictEqual(f.text, undefined);
            assert.strictEqual(f.notUtf8?.offset, firstE9);
            assert.strictEqual(f.notUtf8?.byte, 0xe9);
            const row = inventoryRows(inv).find((x) => x.name === NAME)!;
            assert.strictEqual(row.fileSha256, hostSha);
            assert.strictEqual(row.policyMatchesFile, true);
            assert.strictEqual(row.fileMode, "enforce");
            const r = await runCli(runStatus, [...vmHostArgs(vm), "--json", "--profile", NAME]);
            assert.strictEqual(r.code, 0, r.stderr);
            const out = JSON.parse(r.stdout) as {
                profiles: {
                    name: string;
                    fileSha256?: string;
                    versionError?: string;
                    policyMatchesFile?: boolean;
                }[];
            };
            const s = out.profiles.find((x) => x.name === NAME)!;
            assert.strictEqual(s.fileSha256, hostSha);
            assert.strictEqual(s.policyMatchesFile, true);
            assert.match(
                s.versionError ?? "",
                new RegExp(`^not valid UTF-8: byte 0xE9 at offset ${firstE9} \\(line 3, column `),
            );
        });

        it("import refuses it naming the host, the file and the byte offset, and saves no copy", async () => {
            const out = path.join(tmp, "imported");
            const r = await runCli(runImport, [...vmHostArgs(vm), "--out", out, "--profile", NAME]);
            assert.strictEqual(r.code, 0, r.stderr);
            const label = `${vm.user}@${vm.host}:${vm.port}`;
            assert.ok(
                r.stdout.includes(
                    `not adopted ${NAME}: ${FILE} on ${label} is not valid UTF-8: byte 0xE9 at offset ${firstE9} (line 3, column `,
                ),
                r.stdout,
            );
            assert.ok(r.stdout.includes("octal escape: a backslash followed by 351"), r.stdout);
            assert.ok(!fs.existsSync(path.join(out, "profiles", NAME)), "no lossy copy is saved");
            const program = fs.readFileSync(path.join(out, "index.ts"), "utf8");
            assert.ok(!program.includes(`"profiles", ${JSON.stringify(NAME)}`), program);
            assert.ok(
                program.includes("is not valid UTF-8"),
                "the program lists why it was not adopted",
            );
        });

        it("the octal escape the refusal suggests is the same byte for apparmor_parser (same compiled policy)", async () => {
            await vmRoot(vm, `printf '${printfText("e", "\\\\351")}' > ${ESCAPED}`);
            const escaped = await vmRoot(vm, `cat ${ESCAPED}`);
            assert.ok(escaped.includes('"/tmp/caf\\351/**"'), escaped);
            assert.strictEqual(await compiledSha1(vm, ESCAPED), await compiledSha1(vm, FILE));
        });

        it("adopt in place: the prior is the exact original (sha256sum's hash, flagged not UTF-8); remove restores those bytes", async () => {
            const exec = execFor(vm);
            const rawBefore = await kernelRawSha1(vm, NAME);
            const text = `#include <tunables/global>\nprofile ${NAME} flags=(attach_disconnected,mediate_deleted) {\n  #include <abstractions/base>\n  file,\n}\n`;
            const r = await hostScripts.installPrior(exec, {
                name: NAME,
                text,
                mode: "enforce",
                dir: HANDMADE_DIR,
                adopt: true,
                sudo: true,
            });
            assert.strictEqual(r.prior.present, true);
            assert.strictEqual(r.prior.sha256, hostSha);
            assert.strictEqual(r.prior.text, "");
            assert.strictEqual(r.prior.notUtf8?.offset, firstE9);
            assert.ok(r.install?.changed, JSON.stringify(r.install));
            assert.notStrictEqual(await fileSha256(vm, FILE), hostSha);
            const rm = await hostScripts.remove(exec, {
                name: NAME,
                dir: HANDMADE_DIR,
                sudo: true,
            });
            assert.strictEqual(rm.restored, true, JSON.stringify(rm));
            assert.strictEqual(await fileSha256(vm, FILE), hostSha);
            const hex = (await vmRoot(vm, `od -An -tx1 -v ${FILE} | tr -d ' \\n'`)).trim();
            assert.strictEqual(hex, LATIN1.toString("hex"));
            assert.strictEqual(await kernelRawSha1(vm, NAME), rawBefore);
        });
    });
}
