/**
 * The Debian releases the host-script suites run on (issue #18): each suite module
 * (`*.suite.ts`) exports a function of the release, called by one small test file per release,
 * on the VM the tests of that release share in the mocha process.
 */
import { sharedVm, type Release, type TestHostInfo } from "./testhost";

export type { Release } from "./testhost";

/** The shared VM of `release` and what its suites add to their titles. */
export function releaseHost(release: Release): {
    readonly host: () => Promise<TestHostInfo>;
    readonly suffix: string;
} {
    return {
        host: () => sharedVm(release),
        suffix: release === "trixie" ? " — Debian 13 trixie (AppArmor 4.1)" : "",
    };
}
