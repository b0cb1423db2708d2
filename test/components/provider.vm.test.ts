// The dynamic providers called directly (provider.suite.ts) on the shared Debian 12 bookworm VM.
import { providerSuite } from "./provider.suite";

providerSuite("bookworm");
