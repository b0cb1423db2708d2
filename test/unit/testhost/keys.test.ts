/**
 * The test host's per-run client key: ssh2 sometimes generates an ed25519 public key of 31 bytes (a
 * leading zero dropped), with which no SSH login works; such a pair is drawn again.
 */
import * as assert from "assert";
import { ed25519KeyPair, ed25519PublicKeyBytes } from "../../../src/testhost";

function line(keyBytes: number, declared = keyBytes): string {
    const type = Buffer.from("ssh-ed25519");
    const blob = Buffer.alloc(4 + type.length + 4 + keyBytes, 7);
    blob.writeUInt32BE(type.length, 0);
    type.copy(blob, 4);
    blob.writeUInt32BE(declared, 4 + type.length);
    return `ssh-ed25519 ${blob.toString("base64")} c`;
}

describe("testhost: ed25519 client keys", function () {
    const cases: [string, string, number][] = [
        ["a 32-byte key", line(32), 32],
        ["a 31-byte key (leading zero dropped)", line(31), 31],
        ["a length field that does not match the blob", line(32, 33), -1],
        ["another key type", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ c", -1],
        ["no key", "", -1],
    ];
    for (const [what, text, bytes] of cases) {
        it(`reads ${what}: ${bytes}`, function () {
            assert.strictEqual(ed25519PublicKeyBytes(text), bytes);
        });
    }

    it("draws again until the public key has 32 bytes", function () {
        const drawn = [line(31), line(31), line(32)];
        let calls = 0;
        const keys = ed25519KeyPair("c", () => ({ private: "p", public: drawn[calls++]! }));
        assert.strictEqual(calls, 3);
        assert.strictEqual(keys.public, line(32));
    });

    it("real pairs from ssh2 all have 32-byte public keys (1000 drawn)", function () {
        for (let i = 0; i < 1000; i++) {
            assert.strictEqual(ed25519PublicKeyBytes(ed25519KeyPair("c").public), 32);
        }
    });
});
