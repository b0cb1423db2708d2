/**
 * The key line of a host-key pin (`pinKeyLine`, formerly `commandHostKey`): the `TYPE BASE64` that
 * pulumi-command's remote.Command (the prepare step) can check; undefined for a fingerprint.
 */
import * as assert from "assert";
import { pinKeyLine as commandHostKey } from "../../../src/components/hostKeys";

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPBTDv+7HSD8QU2dJ6nHJqOSQ+MwYNVL9hHG9wUmPo5Q";

describe("components: commandHostKey", () => {
    const table: [string, string | undefined, string | undefined][] = [
        ["public key line", ED, ED],
        ["public key line with comment", `${ED} root@host`, ED],
        ["known_hosts line", `[127.0.0.1]:2222 ${ED}`, ED],
        ["ecdsa key", "ecdsa-sha2-nistp256 AAAAE2VjZHNh", "ecdsa-sha2-nistp256 AAAAE2VjZHNh"],
        ["surrounding whitespace", `  ${ED}\n`, ED],
        ["SHA256 fingerprint (pulumi-command cannot check it)", "SHA256:abcdef", undefined],
        ["key type without key", "ssh-ed25519", undefined],
        ["empty", "", undefined],
        ["absent", undefined, undefined],
    ];
    for (const [label, pin, want] of table) {
        it(label, () => assert.strictEqual(commandHostKey(pin), want));
    }
});
