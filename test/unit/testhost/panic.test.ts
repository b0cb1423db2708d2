/**
 * Which failed boots `startTestHost` tries once more: only a guest kernel panic while booting (a rare
 * TCG emulation fault on a loaded machine), never a failure of the image or of this project's setup.
 */
import * as assert from "assert";
import { isBootPanic } from "../../../src/testhost";

const console = (tail: string) =>
    `testhost: qemu exited during boot: \n--- console (/x/console.log) ---\n${tail}`;

describe("testhost: a boot that panicked is retried", function () {
    const cases: [string, unknown, boolean][] = [
        [
            "qemu exited, console shows a kernel panic",
            new Error(
                console("[ 11.1] Kernel panic - not syncing: Fatal exception in interrupt\n"),
            ),
            true,
        ],
        ["qemu exited without a panic", new Error(console("[ 3.0] reboot: Power down\n")), false],
        [
            "a panic on the console but the failure is docker's",
            new Error(
                "testhost: docker or the busybox import failed:\nKernel panic - not syncing: x",
            ),
            false,
        ],
        ["no SSH in time", new Error("testhost: no SSH after 1200000 ms (timeout)"), false],
        ["not an Error", "Kernel panic - not syncing", false],
    ];
    for (const [what, e, retried] of cases) {
        it(`${what}: ${retried ? "booted again" : "fails"}`, function () {
            assert.strictEqual(isBootPanic(e), retried);
        });
    }
});
