// The compose provider's ownership cases (compose.provider.suite.ts) on the shared Debian 12 bookworm VM.
import { composeProviderSuite } from "./compose.provider.suite";

composeProviderSuite("bookworm");
