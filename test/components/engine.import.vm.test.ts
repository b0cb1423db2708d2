// The import suite (engine.import.suite.ts) on the shared Debian 12 bookworm VM.
import { engineImportSuite } from "./engine.import.suite";

engineImportSuite("bookworm");
