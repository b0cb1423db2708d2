"use strict";
// Mocha's spec reporter plus, at the end, the wall time of the slowest top-level suites (to budget the
// suite) and one closing line in the form CI reads: "N passed, N failed, N skipped".
//
// In parallel mode the main process sees each file's events replayed at once when the file is done, so
// the times come from the workers instead: the root hooks (test/support/hooks.ts) append one line per
// test file to the file named by PULUMI_APPARMOR_SUITE_TIMES, which this reporter sets before the workers
// start.
const fs = require("fs");
const os = require("os");
const path = require("path");
const Mocha = require("mocha");
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

// Enough to weigh every VM file in test/support/testFiles.ts (54 today).
const SLOWEST = 60;

function workerTimes(file) {
    let text = "";
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return [];
    }
    return text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .map(({ file: f, ms }) => [ms, f]);
}

class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const timesDir = fs.mkdtempSync(path.join(os.tmpdir(), "mocha-times-"));
        const timesFile = path.join(timesDir, "times.jsonl");
        process.env.PULUMI_APPARMOR_SUITE_TIMES = timesFile;
        const t0 = Date.now();
        const started = new Map();
        const took = [];
        runner.on(EVENT_SUITE_BEGIN, (suite) => {
            if (suite.parent && suite.parent.root) started.set(suite, Date.now());
        });
        runner.on(EVENT_SUITE_END, (suite) => {
            const begun = started.get(suite);
            if (begun !== undefined) took.push([Date.now() - begun, suite.title]);
        });
        runner.once(EVENT_RUN_END, () => {
            const s = runner.stats || {};
            const fromWorkers = workerTimes(timesFile);
            fs.rmSync(timesDir, { recursive: true, force: true });
            const rows = fromWorkers.length > 0 ? fromWorkers : took;
            const what = fromWorkers.length > 0 ? "test files" : "suites";
            rows.sort((a, b) => b[0] - a[0]);
            const total = rows.reduce((n, [ms]) => n + ms, 0);
            const lines = rows
                .slice(0, SLOWEST)
                .map(([ms, title]) => `  ${(ms / 1000).toFixed(0).padStart(5)} s  ${title}`);
            process.stdout.write(
                `\nslowest ${what} (of ${rows.length}, ${(total / 1000).toFixed(0)} s in all, ` +
                    `${((Date.now() - t0) / 1000).toFixed(0)} s wall):\n${lines.join("\n")}\n`,
            );
            process.stdout.write(
                `\ntests: ${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`,
            );
        });
    }
}
module.exports = SpecWithSummary;
