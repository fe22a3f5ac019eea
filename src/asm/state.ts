/**
 * The assembler's working state, shared by the statement pass (assembler.ts) and the layout
 * pass (layout.ts). A section holds its fixed bytes contiguously plus a list of variable parts
 * (relaxable branches and alignment padding) that sit between them; a position is a byte offset
 * into the fixed bytes plus the number of variable parts before it, so that addresses can be
 * recomputed cheaply while branches grow.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Instruction } from "../x86/instruction.js";
import type { FixupKind } from "../x86/encode.js";
import type { Value } from "../x86/expr.js";
import type { SectionFlags, SymbolBinding, SymbolType, SymbolVisibility } from "../image/image.js";

export interface BranchPart {
  readonly kind: "branch";
  /** Offset in the section's fixed bytes where the branch sits. */
  readonly at: number;
  /** Encodings chosen after layout; `short` is the rel8 form, `long` the rel32 form. */
  readonly short: Instruction;
  readonly long: Instruction;
  readonly target: string;
  readonly addend: bigint;
  readonly span: Span;
  shortSize: number;
  longSize: number;
  size: number;
  /** True once the branch must use the rel32 form. */
  isLong: boolean;
}

export interface AlignPart {
  readonly kind: "align";
  readonly at: number;
  readonly alignment: number;
  /** Skip the alignment when it needs more than this many bytes (0: no limit). */
  readonly max: number;
  /** The fill byte, or "nop" for NOP fill in code. */
  readonly fill: number | "nop";
  size: number;
}

export type VariablePart = BranchPart | AlignPart;

export interface PendingFixup {
  readonly off: number;
  readonly nvar: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly kind: FixupKind;
  readonly plus: string | undefined;
  readonly minus: string | undefined;
  readonly addend: bigint;
  readonly branch: boolean;
  readonly span: Span;
}

export class SectionState {
  buf = new Uint8Array(256);
  len = 0;
  align = 1;
  readonly parts: VariablePart[] = [];
  readonly fixups: PendingFixup[] = [];
  /** Sum of the sizes of parts[0..k), filled by layout. */
  partOffsets: number[] = [0];

  constructor(
    readonly name: string,
    public kind: "progbits" | "nobits" | "note",
    public flags: SectionFlags,
    readonly order: number,
    public entsize = 0,
  ) {}

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  append(bytes: Uint8Array, length = bytes.length): void {
    this.reserve(length);
    this.buf.set(length === bytes.length ? bytes : bytes.subarray(0, length), this.len);
    this.len += length;
  }

  fill(value: number, count: number): void {
    this.reserve(count);
    this.buf.fill(value, this.len, this.len + count);
    this.len += count;
  }

  /** Address of a position once layout has filled partOffsets. */
  address(off: number, nvar: number): number {
    return off + this.partOffsets[nvar]!;
  }

  get size(): number {
    return this.len + this.partOffsets[this.parts.length]!;
  }
}

export interface SymbolState {
  readonly name: string;
  /** Order of first mention; the Image lists symbols in this order. */
  readonly order: number;
  /** A label: its section and position. */
  section?: SectionState;
  off?: number;
  nvar?: number;
  /** An absolute value (`.set x, 4`). */
  abs?: bigint;
  /** `.set x, label + 4`: resolved when layout is known. */
  alias?: { readonly plus: string; readonly addend: bigint };
  binding?: SymbolBinding;
  type?: SymbolType;
  visibility?: SymbolVisibility;
  /** `.size x, expr`, folded where the directive stood and resolved after layout. */
  size?: { readonly value: Value; readonly span: Span };
  /** Where it was defined, for "already defined" notes. */
  defined?: Span;
  /** Assembler-internal names (`.L...`, numeric local labels, `.`) never reach the symbol table. */
  readonly temporary: boolean;
}
