// Changed host keys and secrets on a Debian 12 bookworm VM of its own
// (engine.rekey.suite.ts; trixie: lifecycle.trixie.vm.test.ts).
import { ownHost } from "../support/lifecycleHost";
import { engineRekeySuite } from "./engine.rekey.suite";

engineRekeySuite(ownHost("bookworm"));
