// preflight and the mutating scripts on a Debian 12 bookworm VM of its own booted with apparmor=0
// (scripts-apparmor-off.suite.ts; trixie: test/components/lifecycle.trixie.vm.test.ts).
import { ownHost } from "../support/lifecycleHost";
import { scriptsApparmorOffSuite } from "./scripts-apparmor-off.suite";

scriptsApparmorOffSuite(ownHost("bookworm"));
