/**
 * The Debian releases the host-script suites run on (issue #18): each suite module
 * (`*.suite.ts`) exports a function of the release, called by one small test file per release,
 * on the VM the tests of that release share in the mocha process.
 */
import { sharedTestHost, sharedTrixieHost, type TestHostInfo } from "./testhost";

export type Release = "bookworm" | "trixie";

/** The shared VM of `release` and what its suites add to their titles. */
export function releaseHost(release: Release): {
    readonly host: () => Promise<TestHostInfo>;
    readonly suffix: string;
} {
    return release === "trixie"
        ? { host: sharedTrixieHost, suffix: " — Debian 13 trixie (AppArmor 4.1)" }
        : { host: sharedTestHost, suffix: "" };
}
