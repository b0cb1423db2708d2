// "Disabling AppArmor" drift on a Debian 12 bookworm VM of its own, rebooted
// (engine.apparmor-off.suite.ts; trixie: lifecycle.trixie.vm.test.ts).
import { ownHost } from "../support/lifecycleHost";
import { engineApparmorOffSuite } from "./engine.apparmor-off.suite";

engineApparmorOffSuite(ownHost("bookworm"));
