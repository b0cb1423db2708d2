"use strict";
// `require("pulumi-apparmor/policy")`: the policy pack's policies (compiled to dist/ by `npm run build`).
module.exports = require("./dist/src/policy");
