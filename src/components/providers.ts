/** The provider implementations the serialized shims in `./dynamic` load by package name. */
export { hostProfileProvider } from "./hostProfileProvider";
export { confinementProvider } from "./confinementProvider";
export { hostKeyProvider } from "./hostKeyProvider";
export { rolloutWaveProvider } from "./rollout/provider";
export { composeProvider } from "./composeProvider";
