/** Whether every compiled file in `ROOT/dist/src` is newer than every source file in `ROOT/src`. */
export function distIsFresh(root: string): boolean;
