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
  /**
   * Displacement field width when it is not the shortest one (a decoded `0f 1f 80 00 00 00 00`
   * keeps its disp32 of 0; NOP fill uses it). The encoder picks the shortest when absent.
   */
  readonly dispBits?: 8 | 32;
  /**
   * A SIB byte that no register needs (decoded `(%rax,%riz,1)`): the index field says "none"
   * and `scale` holds the SIB's scale field. Absent: SIB only when the registers need one.
   */
  readonly sib?: boolean;
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
  /**
   * The REX byte exactly as encoded (set by the decoder whenever there is one, even one that
   * carries nothing, like `40` before `mov %al,%bl` or `48` before `push`). An encoder emits
   * this byte instead of the REX it would compute; it always includes the bits the operands need.
   */
  readonly rex?: number;
  /**
   * The legacy prefix bytes exactly as encoded, in order, including the operand-size,
   * mandatory, segment, lock and rep prefixes the fields above also describe (set by the
   * decoder). An encoder emits these instead of deriving prefixes; the printer names the ones
   * the instruction does not use, in this order, as objdump does (`data16 cs nopw ...`).
   */
  readonly legacy?: readonly number[];
}

export interface Instruction {
  readonly form: Form;
  /** Operands in AT&T order, one per `form.operands` entry. */
  readonly operands: readonly Operand[];
  readonly prefixes: Prefixes;
}
