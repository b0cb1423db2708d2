// The host preparation suite (engine.prepare.suite.ts) on the shared Debian 12 bookworm VM.
import { enginePrepareSuite } from "./engine.prepare.suite";

enginePrepareSuite("bookworm");
