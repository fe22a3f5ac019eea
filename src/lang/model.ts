/**
 * The Model: what the front end hands the back end. It is the resolved, typed meaning of a
 * .pvop file (and the files it imports): every name looked up, every expression evaluated,
 * every body assembled, every default applied. The code generator, the patcher, the scenario
 * runner and the language server's hover read it; none of them re-reads .pvop text.
 *
 * A Model is complete only when check() reported no errors. With errors it still holds every
 * declaration that resolved (useful to an editor), but a back end must not consume it.
 *
 * Conventions of the numbers:
 * - An op's `type` is its index in declaration order across all groups (imports included, at
 *   the point of the import), and its ops-table slot is at `slotOffset = 8 * type`, as Linux's
 *   PARAVIRT_PATCH(x) numbered them. The patch table's `instrtype` is `type`.
 * - Clobber sets are Linux CLBR bit masks (src/pvop/abi.ts): rax 1<<0, rcx 1<<1, rdx 1<<2,
 *   rdi 1<<3, rsi 1<<4, r8..r11 1<<5..1<<8. The arithmetic flags are always clobberable.
 * - Spans point into `file` of the node that holds them (an imported file for imported ops).
 */
import type { SourceFile, Span } from "../diag/diagnostic.js";
import type { Image } from "../image/image.js";
import type { Convention } from "../pvop/abi.js";
import type { Instruction } from "../x86/instruction.js";
import type { Register } from "../x86/registers.js";

export type { Convention } from "../pvop/abi.js";

export interface Model {
  /** Always "x86_64" for now; i386 is the next target. */
  readonly target: "x86_64";
  /** The checked file first, then every imported file in import order. */
  readonly files: readonly SourceFile[];
  /** Built-in conventions (`c`, `callee_save`) first, then the file's own, by name. */
  readonly conventions: ReadonlyMap<string, ModelConvention>;
  /** `const` declarations, evaluated. */
  readonly constants: ReadonlyMap<string, ModelConstant>;
  readonly groups: readonly Group[];
  /** Every op in type order: `ops[i].type === i`. */
  readonly ops: readonly Op[];
  /** Memory and functions every backend and scenario can use (top-level `data`/`percpu`/`extern`). */
  readonly data: readonly DataSymbol[];
  readonly externs: readonly ExternFunction[];
  /** The implicit `native` backend first (no bindings), then the declared ones in order. */
  readonly backends: readonly Backend[];
  readonly scenarios: readonly Scenario[];
}

export interface ModelConvention extends Convention {
  readonly builtin: boolean;
  /** Where the file defines (or restates) it; absent for an unrestated built-in. */
  readonly file?: SourceFile;
  readonly span?: Span;
  readonly doc?: string;
}

export interface ModelConstant {
  readonly name: string;
  readonly value: bigint;
  readonly file: SourceFile;
  readonly span: Span;
  readonly doc?: string;
}

export interface Group {
  readonly name: string;
  readonly ops: readonly Op[];
  readonly file: SourceFile;
  readonly span: Span;
  readonly doc?: string;
}

/** u8-u64 and i8-i64 are integers of that width; bool is 0 or 1 in the low byte; ptr is 64 bits. */
export type ValueType = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "bool" | "ptr";

export const VALUE_TYPES: readonly ValueType[] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool", "ptr"];

/** Width in bits of a value of a type (bool travels in a byte). */
export function typeBits(t: ValueType): 8 | 16 | 32 | 64 {
  if (t === "bool") return 8;
  if (t === "ptr") return 64;
  return Number(t.slice(1)) as 8 | 16 | 32 | 64;
}

export interface Param {
  readonly name: string;
  readonly type: ValueType;
  /** The register the convention passes it in. */
  readonly register: Register;
}

export interface Op {
  readonly name: string;
  readonly group: string;
  /** `group.name`, as written in impls and pvcalls. */
  readonly qualifiedName: string;
  /** Index in declaration order across all groups: the patch record's type. */
  readonly type: number;
  /** Byte offset of the op's slot in the ops table (`pv_ops`): 8 * type. */
  readonly slotOffset: number;
  readonly params: readonly Param[];
  /** Absent when the op returns nothing. */
  readonly returns?: ValueType;
  readonly convention: ModelConvention;
  /** Effective clobber set (CLBR mask): the convention's, or the op's own `clobbers` clause. */
  readonly clobbers: number;
  readonly native: NativeForm;
  readonly file: SourceFile;
  readonly span: Span;
  readonly doc?: string;
}

/**
 * What the native backend does for an op: run an inline body, return the first argument
 * (`identity`: on x86_64 `mov %rdi, %rax`), or nothing (`nop`).
 */
export type NativeForm = { readonly kind: "body"; readonly code: AssembledCode } | { readonly kind: "identity" } | { readonly kind: "nop" };

/** Assembly text from the file, assembled by the project's assembler. */
export interface AssembledCode {
  readonly file: SourceFile;
  /** The text between the braces. */
  readonly span: Span;
  /** The bytes of the code (its .text section); symbol references are zero, see `image`. */
  readonly bytes: Uint8Array;
  /** The assembler's output: sections, symbols (the body's labels) and relocations. */
  readonly image: Image;
  /** Each instruction with its offset and length in `bytes` and its span in the file. */
  readonly instructions: readonly AssembledInstruction[];
}

export interface AssembledInstruction {
  readonly instruction: Instruction;
  readonly offset: number;
  readonly length: number;
  readonly span: Span;
}

/** `data NAME: SIZE` (ordinary memory) or `percpu NAME: SIZE` (addressed as %gs:NAME). */
export interface DataSymbol {
  readonly name: string;
  readonly size: number;
  readonly percpu: boolean;
  /** The backend that declares it, or undefined for a top-level (shared) symbol. */
  readonly backend?: string;
  readonly file: SourceFile;
  readonly span: Span;
  readonly doc?: string;
}

/** `extern NAME: CONVENTION`: a function outside the file that bodies may call. */
export interface ExternFunction {
  readonly name: string;
  readonly convention: ModelConvention;
  readonly backend?: string;
  readonly file: SourceFile;
  readonly span: Span;
}

export interface Backend {
  readonly name: string;
  /** True for the implicit `native` backend, which binds nothing. */
  readonly builtin: boolean;
  /** The ops this backend overrides, in op type order. Unbound ops keep their native form. */
  readonly bindings: readonly Binding[];
  readonly data: readonly DataSymbol[];
  readonly externs: readonly ExternFunction[];
  readonly file?: SourceFile;
  readonly span?: Span;
  readonly doc?: string;
}

export interface Binding {
  readonly op: Op;
  readonly impl: AsmImpl | CImpl;
  readonly file: SourceFile;
  readonly span: Span;
  readonly doc?: string;
}

/** An assembly function written in the file; the compiler appends the `ret`. */
export interface AsmImpl {
  readonly kind: "asm";
  readonly symbol: string;
  readonly code: AssembledCode;
}

/** An external C function (convention `c`). */
export interface CImpl {
  readonly kind: "c";
  readonly symbol: string;
  /**
   * When the op's clobber set is narrower than `c`'s: the thunk to generate,
   * `__raw_callee_save_<symbol>`, and the registers it must save (in push order).
   */
  readonly thunk?: { readonly symbol: string; readonly saves: readonly Register[] };
  /**
   * The function's code when the file shows it (`impl G.O = c f { model body }`): the thunk
   * then saves only the registers this code can write.
   */
  readonly model?: AssembledCode;
}

export interface Scenario {
  readonly name: string;
  readonly init: readonly StateAssignment[];
  /** Absent only when the scenario has no `code` (a warning). */
  readonly code?: ScenarioCode;
  readonly expectations: readonly Expectation[];
  readonly file: SourceFile;
  readonly span: Span;
  readonly doc?: string;
}

/**
 * The scenario's code, assembled with every `pvcall` replaced by `room` zero bytes at
 * `sites[i].offset` (and a label `__pvcall_site_<i>` there in the image): the code generator
 * writes the call site over them.
 */
export interface ScenarioCode extends AssembledCode {
  readonly sites: readonly PvcallSite[];
}

export interface PvcallSite {
  readonly op: Op;
  /** Offset of the site in the scenario's code bytes. */
  readonly offset: number;
  /** Site length: 6 (the `call *pv_ops+OFF(%rip)`) unless `room` asked for more. */
  readonly room: number;
  /** Registers the site lets the call clobber (CLBR mask): the op's unless narrowed. */
  readonly clobbers: number;
  readonly span: Span;
}

/** A machine location a scenario sets or checks. */
export type Location =
  | { readonly kind: "register"; readonly register: Register }
  | { readonly kind: "rflags" }
  | { readonly kind: "flag"; readonly flag: string; readonly mask: number }
  | { readonly kind: "memory"; readonly symbol: string; readonly offset: bigint; readonly size: 1 | 2 | 4 | 8 };

/** A value: a number, or the address of a data symbol plus a number. */
export interface Value {
  readonly symbol?: string;
  readonly addend: bigint;
}

export interface StateAssignment {
  readonly location: Location;
  readonly value: Value;
  /** The backend the assignment applies to (`init xen { ... }`), or undefined for every backend. */
  readonly backend?: string;
  readonly span: Span;
}

export interface Expectation {
  readonly location: Location;
  readonly operator: "==" | "!=";
  readonly value: Value;
  /** The backend the check applies to, or undefined for every backend. */
  readonly backend?: string;
  readonly span: Span;
}
