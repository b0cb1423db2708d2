/**
 * pulumi-apparmor: AppArmor profiles as Pulumi resources.
 *
 * Layers (one direction): profile/ and log/ (pure) → host/ (shell scripts run on hosts) →
 * components/ (Pulumi) → state/ (what stack state records).
 */
export * from "./profile";
export * from "./log";
export * from "./local";
export * from "./compose";
export * from "./components";
// The component `Profile` shadows the model's `Profile` type at the top level (the model type stays
// available as `import type { Profile } from "pulumi-apparmor/dist/src/profile"`).
export { Profile } from "./components";
