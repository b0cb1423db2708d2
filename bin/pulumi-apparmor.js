#!/usr/bin/env node
"use strict";
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
require("../dist/src/cli/main.js").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`pulumi-apparmor: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
