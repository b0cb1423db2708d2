// The preflight suite (provider.preflight.suite.ts) on a Debian 12 bookworm VM of its own.
import { providerPreflightSuite } from "./provider.preflight.suite";

providerPreflightSuite("bookworm", "own");
