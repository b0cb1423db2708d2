/**
 * Mocha root hooks (registered in `.mocharc.json` "require"): print the test VM's console tail when a
 * test fails while a VM is in use, and stop every VM this mocha process booted after the last test.
 */
import type { Context } from "mocha";
import { consoleTails, stopAllTestHosts, testHostsInUse } from "./testhost";

export const mochaHooks = {
    async afterEach(this: Context): Promise<void> {
        if (this.currentTest?.state === "failed" && testHostsInUse()) {
            process.stderr.write(`${await consoleTails(30)}\n`);
        }
    },
    async afterAll(this: Context): Promise<void> {
        this.timeout(60000);
        await stopAllTestHosts();
    },
};
