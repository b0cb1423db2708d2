/** The guest CPUs of a test VM: `--cpus`, else PULUMI_APPARMOR_TESTHOST_CPUS, else 2; bad values name the fix. */
import * as assert from "assert";
import { guestCpus, TESTHOST_CPUS_ENV } from "../../../src/testhost";

describe("testhost: guest CPUs", () => {
    const ok: [number | undefined, string | undefined, number][] = [
        [undefined, undefined, 2],
        [undefined, "", 2],
        [undefined, "1", 1],
        [undefined, "4", 4],
        [3, undefined, 3],
        [2, "1", 2], // an explicit cpus wins over the environment
        [1, "junk", 1], // the environment is not read when cpus is given
        [64, undefined, 64],
    ];
    for (const [cpus, env, want] of ok) {
        it(`cpus ${String(cpus)}, ${TESTHOST_CPUS_ENV}=${JSON.stringify(env)} → ${want}`, () => {
            assert.strictEqual(guestCpus(cpus, { [TESTHOST_CPUS_ENV]: env }), want);
        });
    }

    const bad: [number | undefined, string | undefined, RegExp][] = [
        [
            undefined,
            "0",
            /PULUMI_APPARMOR_TESTHOST_CPUS is "0".*from 1 to 64.*PULUMI_APPARMOR_TESTHOST_CPUS=1/,
        ],
        [undefined, "two", /PULUMI_APPARMOR_TESTHOST_CPUS is "two"/],
        [undefined, "1.5", /PULUMI_APPARMOR_TESTHOST_CPUS is "1.5"/],
        [undefined, "-1", /PULUMI_APPARMOR_TESTHOST_CPUS is "-1"/],
        [undefined, " 1", /PULUMI_APPARMOR_TESTHOST_CPUS is " 1"/],
        [undefined, "65", /from 1 to 64/],
        [0, undefined, /cpus is 0.*--cpus 2/],
        [1.5, undefined, /cpus is 1.5/],
        [Number.NaN, "1", /cpus is null/],
    ];
    for (const [cpus, env, want] of bad) {
        it(`cpus ${String(cpus)}, ${TESTHOST_CPUS_ENV}=${JSON.stringify(env)} → error`, () => {
            assert.throws(() => guestCpus(cpus, { [TESTHOST_CPUS_ENV]: env }), want);
        });
    }
});
