/**
 * The emulator's defaults, in a module of their own so that the CLI can name them in its help
 * without loading the emulator.
 */

/** Where code goes when no base is given. */
export const DEFAULT_BASE = 0x400000n;
/** The default stack: 64 KiB ending here, rsp 16 bytes below with the return sentinel on top. */
export const DEFAULT_STACK_TOP = 0x7ff00000n;
/** Enough for any scenario, small enough that a runaway loop stops within a second or so. */
export const DEFAULT_MAX_STEPS = 50_000_000;
