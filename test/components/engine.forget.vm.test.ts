// An unreachable host at `pulumi destroy`, on a Debian 12 bookworm VM of its own, stopped
// (engine.forget.suite.ts; trixie: lifecycle.trixie.vm.test.ts).
import { ownHost } from "../support/lifecycleHost";
import { engineForgetSuite } from "./engine.forget.suite";

engineForgetSuite(ownHost("bookworm"));
