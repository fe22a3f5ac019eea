/**
 * The in-memory instruction: what the AT&T parser produces, the encoder consumes, the decoder
 * produces and the printer and emulator consume. One shape for all of them, so that a decoded
 * instruction can be re-encoded and a parsed one can be executed.
 */
import type { Register } from "./registers.js";
import type { Form } from "./table.js";

/** A reference to a symbol, left for the assembler to resolve or to turn into a relocation. */
export interface SymbolRef {
  readonly name: string;
}

export type Operand = RegisterOperand | ImmediateOperand | MemoryOperand | RelativeOperand;

export interface RegisterOperand {
  readonly kind: "reg";
  readonly reg: Register;
}

export interface ImmediateOperand {
  readonly kind: "imm";
  /** The value, or the addend when `symbol` is set. Two's complement 64-bit range. */
  readonly value: bigint;
  readonly symbol?: SymbolRef;
}

export interface MemoryOperand {
  readonly kind: "mem";
  readonly seg?: Register;
  /** Absent for absolute addressing; the `rip` register for rip-relative. */
  readonly base?: Register;
  readonly index?: Register;
  readonly scale: 1 | 2 | 4 | 8;
  /** Displacement, or the addend when `symbol` is set. */
  readonly disp: bigint;
  readonly symbol?: SymbolRef;
}

/** A branch target: an absolute address (decoded) or a symbol plus addend (parsed). */
export interface RelativeOperand {
  readonly kind: "rel";
  readonly target: bigint;
  readonly symbol?: SymbolRef;
}

/** Prefixes that are not implied by the form (operand size, REX and mandatory prefixes are). */
export interface Prefixes {
  readonly lock?: boolean;
  readonly rep?: "rep" | "repne";
  /** A segment override written as a prefix word (`cs nopw ...`) rather than on a memory operand. */
  readonly seg?: Register;
  /** Extra operand-size prefixes written as `data16` (NOP fill uses them). */
  readonly data16?: number;
}

export interface Instruction {
  readonly form: Form;
  /** Operands in AT&T order, one per `form.operands` entry. */
  readonly operands: readonly Operand[];
  readonly prefixes: Prefixes;
}
