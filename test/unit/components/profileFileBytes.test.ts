/**
 * `Profile.profileFile` is read as bytes (#16 leftover): a UTF-8 file (even with `é`) is its text;
 * a file that is not UTF-8 (a Latin-1 `é`, which apparmor_parser accepts) is refused at preview,
 * naming the field, the byte and its place, and the fix; never decoded with replacement
 * characters (the host would get, and hash, other bytes than the file holds).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateProfileArgs } from "../../../src/components/profile";

const host = { host: "10.0.0.5", user: "deploy" };

describe("Profile.profileFile: bytes that are not UTF-8", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-bytes-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const text = (e: string) =>
        `# caf${e}\nprofile legacy flags=(attach_disconnected,mediate_deleted) {\n  file,\n  audit deny "/srv/caf${e}/**" w,\n}\n`;

    it("a UTF-8 file with é is accepted", () => {
        const f = path.join(dir, "utf8");
        fs.writeFileSync(f, text("é"), "utf8");
        assert.deepStrictEqual(validateProfileArgs({ hosts: [host], profileFile: f }), []);
    });

    it("a Latin-1 file is refused naming the field, the byte, its place and the fix", () => {
        const f = path.join(dir, "latin1");
        fs.writeFileSync(f, Buffer.from(text("\xe9"), "latin1"));
        const problems = validateProfileArgs({ hosts: [host], profileFile: f });
        assert.strictEqual(problems.length, 1, JSON.stringify(problems));
        const [p] = problems;
        assert.strictEqual(p.field, "profileFile");
        assert.strictEqual(
            p.message,
            `${f} is not valid UTF-8: byte 0xE9 at offset 5 (line 1, column 6)`,
        );
        assert.match(p.fix ?? "", /octal escape: a backslash followed by 351/);
        assert.match(p.fix ?? "", /iconv -f latin1 -t utf-8/);
    });
});
