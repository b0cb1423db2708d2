// The one-host-read suites (engine.read.suite.ts) on the shared Debian 12 bookworm VM.
import { engineReadSuite } from "./engine.read.suite";

engineReadSuite("bookworm");
