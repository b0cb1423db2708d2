// The host inventory suite (inventory.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { inventorySuite } from "./inventory.suite";

inventorySuite("trixie");
