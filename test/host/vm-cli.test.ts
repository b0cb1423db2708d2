// The testhost CLI's cases (vm-cli.suite.ts) on the shared Debian 12 bookworm VM.
import { vmCliSuite } from "./vm-cli.suite";

vmCliSuite("bookworm");
