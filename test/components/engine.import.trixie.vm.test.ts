// The import suite (engine.import.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { engineImportSuite } from "./engine.import.suite";

engineImportSuite("trixie");
