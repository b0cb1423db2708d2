"use strict";
// Mocha's spec reporter plus, at the end, the wall time of the slowest top-level suites (to budget the
// suite) and one closing line in the form CI reads: "N passed, N failed, N skipped".
const Mocha = require("mocha");
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

const SLOWEST = 15;

class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        const started = new Map();
        const took = [];
        runner.on(EVENT_SUITE_BEGIN, (suite) => {
            if (suite.parent && suite.parent.root) started.set(suite, Date.now());
        });
        runner.on(EVENT_SUITE_END, (suite) => {
            const t0 = started.get(suite);
            if (t0 !== undefined) took.push([Date.now() - t0, suite.title]);
        });
        runner.once(EVENT_RUN_END, () => {
            const s = runner.stats || {};
            took.sort((a, b) => b[0] - a[0]);
            const total = took.reduce((n, [ms]) => n + ms, 0);
            const lines = took
                .slice(0, SLOWEST)
                .map(([ms, title]) => `  ${(ms / 1000).toFixed(0).padStart(5)} s  ${title}`);
            process.stdout.write(
                `\nslowest suites (of ${took.length}, ${(total / 1000).toFixed(0)} s in all):\n${lines.join("\n")}\n`,
            );
            process.stdout.write(
                `\ntests: ${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`,
            );
        });
    }
}
module.exports = SpecWithSummary;
