/** Errors the providers raise: they name the host and the step, and carry the host's own message. */

/** A step of provisioning a profile on a host. */
export type Step =
    | "connect"
    | "preflight"
    | "validate"
    | "load"
    | "mode"
    | "status"
    | "facts"
    | "denials"
    | "remove"
    | "confinement"
    | "compose";

export class HostStepError extends Error {
    constructor(
        readonly target: string,
        readonly step: Step,
        detail: string,
    ) {
        super(`${target}: ${step} failed: ${detail.trim()}`);
        this.name = "HostStepError";
    }
}

/** A step that did not finish within the host's `stepTimeout`; its SSH channel was closed. */
export class HostStepTimeout extends HostStepError {
    constructor(target: string, step: Step, detail: string) {
        super(target, step, detail);
        this.name = "HostStepTimeout";
    }
}
