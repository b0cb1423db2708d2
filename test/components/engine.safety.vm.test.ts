// The safety suite (engine.safety.suite.ts) on the shared Debian 12 bookworm VM.
import { engineSafetySuite } from "./engine.safety.suite";

engineSafetySuite("bookworm");
