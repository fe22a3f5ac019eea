/**
 * The relocation operators of x86-64 GNU as (`sym@GOTPCREL`, `sym@TPOFF`, ...), as
 * gas/config/tc-i386.c (binutils 2.40) reads and applies them: the operator picks the
 * relocation type by the field's size, and as rejects a field the relocation cannot describe.
 */
import type { RelocationType } from "../image/image.js";

/** An operator's number, kept in a fixup row; NO_OPERATOR when the value has none. */
export const NO_OPERATOR = 0;

/** The immediate fields an operator's value may go in (tc-i386.c's gotrel[].types64). */
const enum Immediates {
  Imm32 = 1,
  Imm32S = 2,
  Imm64 = 4,
}

interface OperatorRule {
  /** The relocation that marks an instruction rather than filling a field, if that is what it is. */
  readonly type0?: RelocationType;
  /** The relocation for a 4-byte field, if there is one. */
  readonly type4?: RelocationType;
  /** The relocation for an 8-byte field, if there is one. */
  readonly type8?: RelocationType;
  /** Whether the 4-byte relocation is pc-relative (the 8-byte ones of pc-relative operators are too). */
  readonly pcRelative: boolean;
  /** How the 4-byte relocation checks overflow; a field of the other signedness is rejected. */
  readonly overflow: "signed" | "unsigned" | "bitfield";
  /** Using the operator makes as create the undefined symbol _GLOBAL_OFFSET_TABLE_. */
  readonly needsGot: boolean;
  /** as keeps the relocation against the symbol itself, even a local one (tc_i386_fix_adjustable). */
  readonly keepsSymbol: boolean;
  /** The relocation makes its symbol a thread-local one (STT_TLS). */
  readonly threadLocal: boolean;
  readonly immediates: number;
  /**
   * In a field made pc-relative by subtracting a symbol, as counts the 4-byte relocation's
   * addend from the statement's `.` less the field's size (tc_gen_reloc): `.long x@GOTPCREL - .`
   * gets -4 where `.long x@TPOFF - .` gets 0.
   */
  readonly addendLessSize: boolean;
}

const IMM32_32S = Immediates.Imm32 | Immediates.Imm32S;
const ANY_IMMEDIATE = IMM32_32S | Immediates.Imm64;

const rule = (r: Partial<OperatorRule> & Pick<OperatorRule, "pcRelative">): OperatorRule => ({
  overflow: "signed",
  needsGot: true,
  keepsSymbol: true,
  threadLocal: false,
  immediates: IMM32_32S,
  addendLessSize: false,
  ...r,
});

/**
 * In tc-i386.c's order, which matters: the operator is the first name the text after `@`
 * starts with (case-insensitive), so `@GOTPCRELX` is @GOTPCREL followed by junk `X`.
 * The i386-only operators are known only to be refused.
 */
const OPERATORS: readonly (readonly [string, OperatorRule | "i386"])[] = [
  ["SIZE", rule({ type4: "R_X86_64_SIZE32", type8: "R_X86_64_SIZE64", pcRelative: false, overflow: "unsigned", needsGot: false, immediates: Immediates.Imm32 | Immediates.Imm64 })],
  ["PLTOFF", rule({ type8: "R_X86_64_PLTOFF64", pcRelative: false, keepsSymbol: false, immediates: Immediates.Imm64 })],
  ["PLT", rule({ type4: "R_X86_64_PLT32", pcRelative: true, needsGot: false, keepsSymbol: false, addendLessSize: true })],
  ["GOTPLT", rule({ type8: "R_X86_64_GOTPLT64", pcRelative: false, keepsSymbol: false, immediates: Immediates.Imm64 })],
  ["GOTOFF", rule({ type8: "R_X86_64_GOTOFF64", pcRelative: false, immediates: Immediates.Imm64 })],
  ["GOTPCREL", rule({ type4: "R_X86_64_GOTPCREL", type8: "R_X86_64_GOTPCREL64", pcRelative: true, addendLessSize: true })],
  ["TLSGD", rule({ type4: "R_X86_64_TLSGD", pcRelative: true, threadLocal: true, addendLessSize: true })],
  ["TLSLDM", "i386"],
  ["TLSLD", rule({ type4: "R_X86_64_TLSLD", pcRelative: true, threadLocal: true, addendLessSize: true })],
  ["GOTTPOFF", rule({ type4: "R_X86_64_GOTTPOFF", pcRelative: true, threadLocal: true, addendLessSize: true })],
  ["TPOFF", rule({ type4: "R_X86_64_TPOFF32", type8: "R_X86_64_TPOFF64", pcRelative: false, threadLocal: true, immediates: ANY_IMMEDIATE })],
  ["NTPOFF", "i386"],
  ["DTPOFF", rule({ type4: "R_X86_64_DTPOFF32", type8: "R_X86_64_DTPOFF64", pcRelative: false, threadLocal: true, immediates: ANY_IMMEDIATE })],
  ["GOTNTPOFF", "i386"],
  ["INDNTPOFF", "i386"],
  ["GOT", rule({ type4: "R_X86_64_GOT32", type8: "R_X86_64_GOT64", pcRelative: false, immediates: ANY_IMMEDIATE, addendLessSize: true })],
  ["TLSDESC", rule({ type4: "R_X86_64_GOTPC32_TLSDESC", pcRelative: true, overflow: "bitfield", threadLocal: true, addendLessSize: true })],
  ["TLSCALL", rule({ type0: "R_X86_64_TLSDESC_CALL", pcRelative: false, threadLocal: true })],
];

/** Operator numbers are indices in OPERATORS plus one (0 is NO_OPERATOR). */
const operatorNumber = (name: string) => OPERATORS.findIndex(([n]) => n === name) + 1;
export const PLT_OPERATOR = operatorNumber("PLT");
export const GOTPCREL_OPERATOR = operatorNumber("GOTPCREL");
export const TLSCALL_OPERATOR = operatorNumber("TLSCALL");
const SIZE_OPERATOR = operatorNumber("SIZE");

export function operatorName(op: number): string {
  return OPERATORS[op - 1]![0];
}

function ruleOf(op: number): OperatorRule {
  return OPERATORS[op - 1]![1] as OperatorRule;
}

/**
 * The operator at text[at..end) (just after an `@`): its number and length, an error message
 * for an i386-only one, or undefined when no operator name starts there.
 */
export function readOperator(text: string, at: number, end: number): { op: number; length: number } | { error: string } | undefined {
  for (let i = 0; i < OPERATORS.length; i++) {
    const [name, r] = OPERATORS[i]!;
    if (at + name.length > end || text.slice(at, at + name.length).toUpperCase() !== name) continue;
    if (r === "i386") return { error: `@${name} reloc is not supported with 64-bit output format` };
    return { op: i + 1, length: name.length };
  }
  return undefined;
}

export function operatorNeedsGot(op: number): boolean {
  return op !== NO_OPERATOR && ruleOf(op).needsGot;
}

export function operatorKeepsSymbol(op: number): boolean {
  return op !== NO_OPERATOR && ruleOf(op).keepsSymbol;
}

export function operatorMakesThreadLocal(op: number): boolean {
  return op !== NO_OPERATOR && ruleOf(op).threadLocal;
}

/** Whether an immediate field of `bits` (sign-extended or not) may hold a value with operator `op`. */
export function operatorTakesImmediate(op: number, bits: number, signExtended: boolean): boolean {
  const field = bits === 64 ? Immediates.Imm64 : bits === 32 ? (signExtended ? Immediates.Imm32S : Immediates.Imm32) : 0;
  return (ruleOf(op).immediates & field) !== 0;
}

/** How the field holding an operator's value is read: its signedness as as sees it. */
export type FieldSignedness = "signed" | "unsigned" | "either";

/**
 * The relocation operator `op` gives a field of `size` bytes, or as's message refusing it.
 * `pcRelative` is true for a field the instruction makes pc-relative (rip-relative, branch).
 */
export function operatorRelocation(op: number, size: number, pcRelative: boolean, signedness: FieldSignedness): RelocationType | { error: string } {
  const r = ruleOf(op);
  if (op === SIZE_OPERATOR && pcRelative) return { error: "there are no pc-relative size relocations" };
  const type = size === 8 ? r.type8 : size === 4 ? r.type4 : size === 0 ? r.type0 : undefined;
  if (type === undefined) return { error: `${r.type0 ? 0 : r.type4 ? 4 : 8}-byte relocation cannot be applied to ${size}-byte field` };
  if (pcRelative && !r.pcRelative) return { error: "non-pc-relative relocation for pc-relative field" };
  const mismatched = size === 4 && ((r.overflow === "signed" && signedness === "unsigned") || (r.overflow === "unsigned" && signedness === "signed"));
  if (mismatched) return { error: "relocated field and relocation type differ in signedness" };
  return type;
}

/** Whether a field of relocation `type` made pc-relative by subtraction gets the addend less its size (see addendLessSize). */
export function subtractsFieldSize(type: RelocationType): boolean {
  return SIZE_SUBTRACTED.has(type);
}

const SIZE_SUBTRACTED: ReadonlySet<RelocationType> = new Set<RelocationType>([
  ...OPERATORS.flatMap(([, r]) => (r !== "i386" && r.addendLessSize && r.type4 ? [r.type4] : [])),
  "R_X86_64_GOTPCRELX",
  "R_X86_64_REX_GOTPCRELX",
]);

/** The symbol as creates for GOT-relative operators, and whose own references are GOTPC relocations. */
export const GOT_SYMBOL = "_GLOBAL_OFFSET_TABLE_";
