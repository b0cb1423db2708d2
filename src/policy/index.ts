/**
 * `pulumi-apparmor/policy`: a Pulumi policy pack (CrossGuard, `@pulumi/policy`) that keeps every
 * container confined by a managed AppArmor profile, profiles in enforce mode in production, and no
 * escape hatches in the profiles. The ready-made pack is the package's `policy-pack/` folder
 * (`pulumi preview --policy-pack node_modules/pulumi-apparmor/policy-pack`); to build your own pack,
 * put {@link apparmorPolicies} (or some of the policies) in a `PolicyPack`.
 *
 * | policy | kind | default level |
 * |---|---|---|
 * | `apparmor-container-confined` | resource (docker.Container) | mandatory |
 * | `apparmor-container-profile-managed` | stack | mandatory |
 * | `apparmor-production-enforce` | resource (HostProfile) | mandatory |
 * | `apparmor-production-verify-confinement` | stack | mandatory |
 * | `apparmor-profile-no-escape-hatches` | resource (HostProfile) | mandatory |
 * | `apparmor-profile-audit-denies` | resource (HostProfile) | advisory |
 * | `apparmor-compose-confined` | resource (ComposeDeployment) | mandatory |
 */
import type { Policies } from "@pulumi/policy";
import { containerConfined, containerProfileManaged } from "./containers";
import { productionEnforce, productionVerifyConfinement } from "./production";
import { auditDenies, noEscapeHatches } from "./profiles";
import { composeConfined } from "./compose";

export { containerConfined, containerProfileManaged } from "./containers";
export type { ContainerConfinedConfig, ContainerProfileManagedConfig } from "./containers";
export { productionEnforce, productionVerifyConfinement } from "./production";
export type { ProductionConfig } from "./production";
export { auditDenies, noEscapeHatches } from "./profiles";
export { composeConfined, composeServiceProblems } from "./compose";
export type { ComposeConfinedConfig } from "./compose";
export type { AuditDeniesConfig, HatchAllowance, NoEscapeHatchesConfig } from "./profiles";
export * from "./hatches";
export * from "./docker";
export { TYPES } from "./common";
export { POLICY_PACK_NAME, servePolicyPack } from "./pack";

/** Every policy of the pack, in the order of the table above. */
export function apparmorPolicies(): Policies {
    return [
        containerConfined,
        containerProfileManaged,
        productionEnforce,
        productionVerifyConfinement,
        noEscapeHatches,
        auditDenies,
        composeConfined,
    ];
}
