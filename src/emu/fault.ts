/**
 * Faults are results: an emulated instruction that faults stops the run with the machine state
 * as the CPU would leave it, and the run reports the fault. Inside the emulator a fault unwinds
 * the compiled block by throwing a `FaultSignal` (never an Error: no stack capture on the fast
 * path); the run loop catches it and turns it into a `Fault` value. Nothing outside src/emu
 * ever sees the throw.
 */

/** The exception vectors the emulator raises. `INT` is a software interrupt `int $n` (no IDT is modelled). */
export type FaultVector = "#DE" | "#BP" | "#UD" | "#SS" | "#GP" | "#PF" | "INT";

export const VECTOR_NUMBERS: Record<Exclude<FaultVector, "INT">, number> = {
  "#DE": 0,
  "#BP": 3,
  "#UD": 6,
  "#SS": 12,
  "#GP": 13,
  "#PF": 14,
};

export interface Fault {
  readonly vector: FaultVector;
  /** The architectural vector number (for `INT`, the operand of `int $n`). */
  readonly number: number;
  /**
   * For faults, the address of the faulting instruction; for traps (#BP from int3, INT), the
   * address after it, as the CPU pushes them.
   */
  readonly rip: bigint;
  readonly message: string;
  /** #PF: the linear address that faulted (also stored in cr2). */
  readonly address?: bigint;
  /** #PF error code bits (P=1 W=2 U=4 I/D=16); #GP error code (0 for the faults modelled). */
  readonly errorCode?: number;
}

/** Thrown by memory and semantics helpers; caught by the run loop only. */
export class FaultSignal {
  constructor(
    readonly vector: FaultVector,
    readonly message: string,
    /** True for traps: the reported rip is the next instruction. */
    readonly trap = false,
    readonly number = vector === "INT" ? 0 : VECTOR_NUMBERS[vector],
    readonly address?: bigint,
    readonly errorCode?: number,
  ) {}
}

export const PF_PRESENT = 1;
export const PF_WRITE = 2;
export const PF_USER = 4;
export const PF_FETCH = 16;
