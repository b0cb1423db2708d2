// The compile-at-preview suite (engine.preview-compile.suite.ts) on the shared Debian 12 bookworm VM.
import { enginePreviewCompileSuite } from "./engine.preview-compile.suite";

enginePreviewCompileSuite("bookworm");
