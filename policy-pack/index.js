"use strict";
// The pulumi-apparmor policy pack, ready to use:
//     pulumi preview --policy-pack node_modules/pulumi-apparmor/policy-pack
// Configure it with --policy-pack-config FILE.json (see the README's "Guardrails" section).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS entry point, as the CLI loads it
const { apparmorPolicies, servePolicyPack } = require("../dist/src/policy");

servePolicyPack(apparmorPolicies());
