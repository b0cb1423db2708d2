// The compose host script's ownership suite (scripts-compose.suite.ts) on the shared Debian 13 trixie VM
// (compose v2 2.26; issue #18). Not a `.test.ts`, so not in `npm test`/.ci/run: 7/7 but 665 s at load
// 6-12 (2026-12-05), over the CI budget (issue #17). By hand:
//     PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR npx mocha test/host/scripts-compose.trixie.manual.ts
import { scriptsComposeSuite } from "./scripts-compose.suite";

scriptsComposeSuite("trixie");
