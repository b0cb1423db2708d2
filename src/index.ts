/**
 * pulumi-apparmor: AppArmor profiles as Pulumi resources.
 *
 * Layers (one direction): profile/ and log/ (pure) → host/ (shell scripts run on hosts) →
 * components/ (Pulumi) → state/ (what stack state records).
 */
export * from "./profile";
