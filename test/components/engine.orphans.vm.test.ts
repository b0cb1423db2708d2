// The orphan suite (engine.orphans.suite.ts) on the shared Debian 12 bookworm VM.
import { engineOrphansSuite } from "./engine.orphans.suite";

engineOrphansSuite("bookworm");
