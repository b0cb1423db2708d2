/** The provider implementations the serialized shims in `./dynamic` load by path. */
export { hostProfileProvider } from "./hostProfileProvider";
export { confinementProvider } from "./confinementProvider";
export { rolloutWaveProvider } from "./rollout/provider";
