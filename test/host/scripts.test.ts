// The core host-script suite (scripts.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsSuite } from "./scripts.suite";

scriptsSuite("bookworm");
