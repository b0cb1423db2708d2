/** Pulumi components: profiles on hosts, docker linking, the per-host dynamic resources. */
export {
    Profile,
    ProfileArgs,
    validateProfileArgs,
    DEFAULT_DIRECTORY,
    HostAbiOutput,
} from "./profile";
export { ProfiledContainer, ProfiledContainerArgs, dockerProvider } from "./container";
export { HostConnectionArgs, validateConnection } from "./connection";
export { HostProfile, HostProfileArgs, Confinement, ConfinementArgs } from "./hostProfile";
export { HostKey, HostKeyArgs } from "./hostKey";
export { HostStepError, HostStepTimeout } from "./errors";
export {
    ComposeProject,
    ComposeProjectArgs,
    ComposeServiceOutput,
    defaultComposeProjectName,
    validateComposeProjectArgs,
} from "./composeProject";
export { ComposeDeployment, ComposeDeploymentArgs } from "./composeDeployment";
