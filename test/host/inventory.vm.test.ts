// The host inventory suite (inventory.suite.ts) on the shared Debian 12 bookworm VM.
import { inventorySuite } from "./inventory.suite";

inventorySuite("bookworm");
