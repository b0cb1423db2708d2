// The safety suite (engine.safety.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { engineSafetySuite } from "./engine.safety.suite";

engineSafetySuite("trixie");
