/**
 * Mocha root hooks (registered in `.mocharc.json` "require"): print the test VM's console tail when a
 * test fails while a VM is in use, and stop the VMs this mocha process booted when it is done with them.
 *
 * Serial mocha: the root hooks run once around the whole run; `afterAll` stops every VM. Parallel mocha
 * (`--parallel`, what `npm test` runs): each worker process runs the root hooks around every test file
 * it takes; `afterAll` then stops only the file's extra VMs and keeps the worker's shared VM for its next
 * files (killed when the worker exits), records the file's wall time for the reporter's "slowest" list
 * (`PULUMI_APPARMOR_SUITE_TIMES`, set by test/support/reporter.js), and the main process's global
 * teardown removes what exited workers left behind.
 */
import * as fs from "fs";
import * as path from "path";
import type { Context } from "mocha";
import {
    consoleTails,
    reapOrphans,
    stopAllTestHosts,
    stopExtraTestHosts,
    testHostsInUse,
} from "./testhost";

const inWorker = process.env.MOCHA_WORKER_ID !== undefined;
let fileStarted = Date.now();

export const mochaHooks = {
    beforeAll(): void {
        fileStarted = Date.now();
    },
    async afterEach(this: Context): Promise<void> {
        if (this.currentTest?.state === "failed" && testHostsInUse()) {
            process.stderr.write(`${await consoleTails(30)}\n`);
        }
    },
    async afterAll(this: Context): Promise<void> {
        this.timeout(60000);
        if (!inWorker) {
            await stopAllTestHosts();
            return;
        }
        await stopExtraTestHosts();
        const times = process.env.PULUMI_APPARMOR_SUITE_TIMES;
        const file = this.test?.parent?.suites[0]?.file;
        if (times && file) {
            const line = { file: path.relative(process.cwd(), file), ms: Date.now() - fileStarted };
            fs.appendFileSync(times, `${JSON.stringify(line)}\n`);
        }
    },
};

/** Main process, after the run: VMs of parallel workers that have exited (their state folders). */
export async function mochaGlobalTeardown(): Promise<void> {
    await reapOrphans(15000);
}
