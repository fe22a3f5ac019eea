/**
 * Call frame information: the `.cfi_*` directives and the .eh_frame (and, when `.cfi_sections`
 * asks, .debug_frame) sections GNU as 2.40 builds from them (gas/dw2gencfi.c), byte for byte
 * and with the same relocations.
 *
 * The statement pass records each frame's rules and the places in its code where they take
 * effect. as keeps that state per section, so a function's cold part in .text.unlikely has its
 * own frame, opened and closed while the hot part's frame stays open in .text. The sections are
 * written once layout has relaxed the branches: an advance is encoded in the fewest bytes its
 * final distance needs, which is what as's rs_cfa fragments end up as.
 *
 * What as writes, in .cfi_startproc order of the frames:
 * - before a frame's FDE, a new CIE unless an earlier one fits (the newest that fits is used).
 *   A CIE fits when return column, signal frame, personality (encoding and expression) and LSDA
 *   encoding agree and its initial instructions begin the frame's rules; a new CIE takes the
 *   frame's leading rules of the kinds a CIE may hold, up to the first other instruction;
 * - CIE and FDE padded with DW_CFA_nop to 4 bytes, except the FDE of the last frame: to 8;
 * - the FDE's code address as pc-relative sdata4 (R_X86_64_PC32 against the code), its length
 *   as a constant, personality and LSDA pointers as their encoding says;
 * - .eh_frame (alloc, read-only, aligned to 8), then .debug_frame, created after every section
 *   of the source and after the .note.GNU-stack that `--noexecstack` adds once the source has
 *   been read.
 */
import { error, type Span } from "../diag/diagnostic.js";
import { isProblem, problem, type Value } from "../x86/expr.js";
import { NO_OPERATOR } from "../x86/reloc-operators.js";
import { DWARF_REGISTER_NUMBERS } from "../x86/registers.js";
import type { Assembler } from "./assembler.js";
import { args, constant, fitsData, type DirectiveUse } from "./directives.js";
import { FIXUP_DATA, type SectionState, type SymbolId } from "./state.js";

/** Misuse of the CFI directives: outside a frame, frames not closed, state not remembered. */
const CFI_ERROR = "PV1030";

/** DWARF call frame instructions (DWARF 5 section 6.4.2) and the GNU window save. */
const enum Cfa {
  Nop = 0x00,
  AdvanceLoc1 = 0x02,
  AdvanceLoc2 = 0x03,
  AdvanceLoc4 = 0x04,
  OffsetExtended = 0x05,
  RestoreExtended = 0x06,
  Undefined = 0x07,
  SameValue = 0x08,
  Register = 0x09,
  RememberState = 0x0a,
  RestoreState = 0x0b,
  DefCfa = 0x0c,
  DefCfaRegister = 0x0d,
  DefCfaOffset = 0x0e,
  OffsetExtendedSf = 0x11,
  DefCfaSf = 0x12,
  DefCfaOffsetSf = 0x13,
  ValOffset = 0x14,
  ValOffsetSf = 0x15,
  ValExpression = 0x16,
  GnuWindowSave = 0x2d,
  AdvanceLoc = 0x40,
  Offset = 0x80,
  Restore = 0xc0,
}

/** Pointer encodings (DW_EH_PE_*) as .cfi_personality and .cfi_lsda take them. */
const PE_OMIT = 0xff;
const PE_ABSPTR = 0x00;
const PE_PCREL = 0x10;
const PE_APPLICATION = 0x70;
const PE_FORMAT = 0x07;
const PE_UDATA2 = 0x02;
const PE_UDATA4 = 0x03;
const PE_UDATA8 = 0x04;
const PE_ULEB128 = 0x01;
/** What the FDE's code address is written as: pc-relative sdata4. */
const FDE_ENCODING = 0x1b;

/** DWARF expression operators of .cfi_val_encoded_addr. */
const DW_OP_ADDR = 0x03;
const DW_OP_GNU_ENCODED_ADDR = 0xf1;

/** x86-64's CIE: code alignment 1, data alignment -8, return address in column 16 (rip). */
const DATA_ALIGNMENT = -8n;
const RETURN_COLUMN = 16;
const STACK_POINTER = 7;
/** .eh_frame's last FDE and everything in .debug_frame are aligned to the address size. */
const FRAME_SECTION_ALIGNMENT = 8;

/** A place in a frame's section, as the statement pass records positions. */
interface Place {
  readonly off: number;
  readonly nvar: number;
}

/**
 * A register rule or CFA definition; `reg2`, `offset` are 0 where the instruction has none, so
 * that two rules are the same instruction exactly when all fields agree.
 */
interface Rule {
  readonly kind: "rule";
  readonly op: Cfa;
  readonly reg: number;
  readonly reg2: number;
  readonly offset: bigint;
}

type Instruction =
  | Rule
  | { readonly kind: "advance"; readonly from: Place; readonly to: Place }
  | { readonly kind: "escape"; readonly bytes: readonly SpannedValue[] }
  /** `.cfi_label`: a symbol defined where the instruction would be in .eh_frame. */
  | { readonly kind: "label"; readonly name: string; readonly span: Span }
  /** `.cfi_val_encoded_addr`: the register's value is the address, in the encoding given. */
  | { readonly kind: "encodedAddress"; readonly reg: number; readonly address: Pointer };

interface SpannedValue {
  readonly value: Value;
  readonly span: Span;
}

/** A personality routine or LSDA: its encoding and the expression it points at. */
interface Pointer extends SpannedValue {
  readonly encoding: number;
}

interface Frame {
  readonly section: SectionState;
  /** A label at .cfi_startproc, which the FDE's code address is relocated against. */
  readonly startSymbol: SymbolId;
  readonly start: Place;
  readonly span: Span;
  end: Place | undefined;
  readonly instructions: Instruction[];
  returnColumn: number;
  returnColumnSpan: Span | undefined;
  signalFrame: boolean;
  personality: Pointer | undefined;
  lsda: Pointer | undefined;
  /** Where the frame goes: every section any `.cfi_sections` asked for up to its .cfi_startproc. */
  readonly inEhFrame: boolean;
  readonly inDebugFrame: boolean;
  /** While open: where the last instruction took effect, the CFA offset, the remembered ones. */
  last: Place;
  cfaOffset: bigint;
  readonly remembered: bigint[];
}

/** The frames of one assembly. */
export class CallFrames {
  readonly frames: Frame[] = [];
  /** The open frame of each section. */
  readonly open = new Map<SectionState, Frame>();
  /** The last `.cfi_sections`. */
  ehFrame = true;
  debugFrame = false;
  /** What `.cfi_sections` asked for when a frame began, accumulated: where frames go. */
  toEhFrame = false;
  toDebugFrame = false;
}

/** A directive's handler, given its arguments split at commas. */
type Handler = (asm: Assembler, d: DirectiveUse, list: [number, number][]) => void;

function report(asm: Assembler, code: string, message: string, span: Span): void {
  asm.report(problem(code, message, span.start, span.end));
}

function directiveSpan(d: DirectiveUse): Span {
  return { start: d.start, end: Math.max(d.end, d.argsEnd) };
}

function here(asm: Assembler): Place {
  return { off: asm.current.len, nvar: asm.current.parts.length };
}

/** The frame open in the current section, or undefined after reporting that none is. */
function openFrame(asm: Assembler, d: DirectiveUse): Frame | undefined {
  const frame = asm.frames.open.get(asm.current);
  if (!frame) report(asm, CFI_ERROR, "CFI instruction used without previous .cfi_startproc", directiveSpan(d));
  return frame;
}

/**
 * The frame for an instruction directive, advanced to the current place: as adds the advance
 * before it reads the arguments, also for directives that add no instruction.
 */
function frameHere(asm: Assembler, d: DirectiveUse): Frame | undefined {
  const frame = openFrame(asm, d);
  if (!frame) return undefined;
  const to = here(asm);
  if (to.off !== frame.last.off || to.nvar !== frame.last.nvar) {
    frame.instructions.push({ kind: "advance", from: frame.last, to });
    frame.last = to;
  }
  return frame;
}

function rule(frame: Frame, op: Cfa, reg: number, reg2 = 0, offset = 0n): void {
  frame.instructions.push({ kind: "rule", op, reg, reg2, offset });
}

/** Checks the argument count; reports and returns false when it is wrong. */
function counted(asm: Assembler, d: DirectiveUse, list: [number, number][], min: number, max: number, expected: string): boolean {
  if (list.length >= min && list.length <= max) return true;
  report(asm, "PV1013", `${d.name} takes ${expected}`, directiveSpan(d));
  return false;
}

/** A register operand: a name with or without `%` (`%st(1)` too), or a DWARF register number. */
function register(asm: Assembler, [s, e]: [number, number]): number | undefined {
  const text = asm.text.slice(s, e).toLowerCase();
  const name = text.startsWith("%") ? text.slice(1) : text;
  const stack = /^st\s*\(\s*([0-7])\s*\)$/.exec(name);
  const known = stack ? 33 + Number(stack[1]) : DWARF_REGISTER_NUMBERS.get(name);
  if (known !== undefined) return known;
  if (text.startsWith("%")) {
    report(asm, "PV1009", `'${asm.text.slice(s, e)}' has no DWARF register number`, { start: s, end: e });
    return undefined;
  }
  const n = constant(asm, [s, e], "register number");
  if (n === undefined) return undefined;
  if (n < 0n || n > 0x7fffffffn) {
    report(asm, "PV1013", `bad register number ${n}`, { start: s, end: e });
    return undefined;
  }
  return Number(n);
}

/** `reg, offset` */
function registerAndOffset(asm: Assembler, d: DirectiveUse, list: [number, number][]): [number, bigint] | undefined {
  if (!counted(asm, d, list, 2, 2, "a register and an offset")) return undefined;
  const reg = register(asm, list[0]!);
  const offset = constant(asm, list[1]!, "offset");
  return reg === undefined || offset === undefined ? undefined : [reg, offset];
}

/** A saved register's offset must be a multiple of the data alignment, which scales it. */
function savedAt(asm: Assembler, frame: Frame, op: Cfa.Offset | Cfa.ValOffset, reg: number, offset: bigint, span: Span): void {
  rule(frame, op, reg, 0, offset);
  if (offset % DATA_ALIGNMENT !== 0n) report(asm, "PV1013", `register save offset ${offset} is not a multiple of 8`, span);
}

function defineCfaOffset(frame: Frame, offset: bigint): void {
  rule(frame, Cfa.DefCfaOffset, 0, 0, offset);
  frame.cfaOffset = offset;
}

function startproc(asm: Assembler, d: DirectiveUse, list: [number, number][]): void {
  const frames = asm.frames;
  const section = asm.current;
  if (frames.open.has(section)) return report(asm, CFI_ERROR, "previous CFI entry not closed (missing .cfi_endproc)", directiveSpan(d));
  // Places in a numbered subsection move when layout appends it to its section; frames record places before that.
  if (section.home !== section) return report(asm, CFI_ERROR, "call frame directives in a numbered subsection are not supported", directiveSpan(d));
  const start = here(asm);
  const frame: Frame = {
    section,
    startSymbol: asm.symbol(asm.dotLabel()),
    start,
    span: directiveSpan(d),
    end: undefined,
    instructions: [],
    returnColumn: RETURN_COLUMN,
    returnColumnSpan: undefined,
    signalFrame: false,
    personality: undefined,
    lsda: undefined,
    inEhFrame: (frames.toEhFrame ||= frames.ehFrame),
    inDebugFrame: (frames.toDebugFrame ||= frames.debugFrame),
    last: start,
    cfaOffset: 0n,
    remembered: [],
  };
  frames.frames.push(frame);
  frames.open.set(section, frame);
  const simple = list.length === 1 && asm.text.slice(list[0]![0], list[0]![1]) === "simple";
  if (list.length > 0 && !simple) report(asm, "PV1013", ".cfi_startproc takes nothing or `simple`", { start: list[0]![0], end: d.argsEnd });
  if (simple) return;
  // The state at a call: the CFA is rsp + 8, where the return address is.
  rule(frame, Cfa.DefCfa, STACK_POINTER, 0, -DATA_ALIGNMENT);
  frame.cfaOffset = -DATA_ALIGNMENT;
  rule(frame, Cfa.Offset, RETURN_COLUMN, 0, DATA_ALIGNMENT);
}

function endproc(asm: Assembler, d: DirectiveUse, list: [number, number][]): void {
  const frame = asm.frames.open.get(asm.current);
  if (!frame) return report(asm, CFI_ERROR, ".cfi_endproc without corresponding .cfi_startproc", directiveSpan(d));
  frame.end = here(asm);
  asm.frames.open.delete(asm.current);
  counted(asm, d, list, 0, 0, "no arguments");
}

/** A directive that adds to the frame open in this section, at the current place. */
function frameDirective(apply: (asm: Assembler, frame: Frame, d: DirectiveUse, list: [number, number][]) => void): Handler {
  return (asm, d, list) => {
    const frame = frameHere(asm, d);
    if (frame) apply(asm, frame, d, list);
  };
}

/** `.cfi_restore` and `.cfi_undefined`, which take a list of registers. */
function eachRegister(op: Cfa.Restore | Cfa.Undefined): Handler {
  return frameDirective((asm, frame, d, list) => {
    if (!counted(asm, d, list, 1, Infinity, "one or more registers")) return;
    for (const arg of list) {
      const reg = register(asm, arg);
      if (reg !== undefined) rule(frame, op, reg);
    }
  });
}

/** Directives that take one register. */
function oneRegister(apply: (frame: Frame, reg: number, span: Span) => void): Handler {
  return frameDirective((asm, frame, d, list) => {
    if (!counted(asm, d, list, 1, 1, "a register")) return;
    const reg = register(asm, list[0]!);
    if (reg !== undefined) apply(frame, reg, directiveSpan(d));
  });
}

/** Directives that take one offset. */
function oneOffset(apply: (frame: Frame, offset: bigint) => void): Handler {
  return frameDirective((asm, frame, d, list) => {
    if (!counted(asm, d, list, 1, 1, "an offset")) return;
    const offset = constant(asm, list[0]!, "offset");
    if (offset !== undefined) apply(frame, offset);
  });
}

/** Directives without arguments. */
function bare(apply: (asm: Assembler, frame: Frame, span: Span) => void): Handler {
  return frameDirective((asm, frame, d, list) => {
    apply(asm, frame, directiveSpan(d));
    counted(asm, d, list, 0, 0, "no arguments");
  });
}

function savedRegister(op: Cfa.Offset | Cfa.ValOffset, relative: boolean): Handler {
  return frameDirective((asm, frame, d, list) => {
    const parsed = registerAndOffset(asm, d, list);
    if (!parsed) return;
    const [reg, offset] = parsed;
    savedAt(asm, frame, op, reg, relative ? BigInt.asIntN(64, offset - frame.cfaOffset) : offset, { start: list[1]![0], end: list[1]![1] });
  });
}

function escape(asm: Assembler, d: DirectiveUse, list: [number, number][]): void {
  const frame = frameHere(asm, d);
  if (!frame) return;
  const bytes: SpannedValue[] = [];
  // as assumes a zero for a missing expression.
  if (list.length === 0) bytes.push({ value: { addend: 0n }, span: directiveSpan(d) });
  for (const [s, e] of list) {
    const value = asm.value(asm.text, s, e);
    if (isProblem(value)) return asm.report(value);
    if (value.plus === undefined && value.minus !== undefined) return report(asm, "PV1018", "a symbol may only be subtracted from another symbol", { start: s, end: e });
    if (value.plus === undefined && !fitsData(value.addend, 1)) return report(asm, "PV1017", `value 0x${value.addend.toString(16)} does not fit in 8 bits`, { start: s, end: e });
    bytes.push({ value, span: { start: s, end: e } });
  }
  frame.instructions.push({ kind: "escape", bytes });
}

/** Whether as can write a pointer in this encoding: absolute or pc-relative, 2, 4 or 8 bytes. */
function supportedEncoding(encoding: bigint): boolean {
  if (encoding < 0n || encoding > 0xffn) return false;
  const e = Number(encoding);
  const format = e & PE_FORMAT;
  return ((e & PE_APPLICATION) === 0 || (e & PE_APPLICATION) === PE_PCREL) && format !== PE_ULEB128 && format <= PE_UDATA8;
}

/** The size of a pointer in `encoding`. */
function encodingSize(encoding: number): number {
  if (encoding === PE_OMIT) return 0;
  const format = encoding & PE_FORMAT;
  return format === PE_UDATA2 ? 2 : format === PE_UDATA4 ? 4 : 8;
}

/** `.cfi_personality` and `.cfi_lsda`: an encoding and, unless it is 0xff (omit), a symbol. */
function pointerDirective(field: "personality" | "lsda"): Handler {
  return (asm, d, list) => {
    const frame = openFrame(asm, d);
    if (!frame || !counted(asm, d, list, 1, 2, "an encoding and a symbol")) return;
    const encoding = constant(asm, list[0]!, "encoding");
    if (encoding === undefined) return;
    if (encoding === BigInt(PE_OMIT)) {
      frame[field] = undefined;
      counted(asm, d, list, 1, 1, "only the encoding 0xff");
      return;
    }
    if (list.length < 2) return report(asm, "PV1013", `${d.name} requires encoding and symbol arguments`, directiveSpan(d));
    const pointer = encodedPointer(asm, d, list[0]!, encoding, list[1]!);
    if (pointer) frame[field] = pointer;
  };
}

/** A pointer argument in `encoding`: a symbol plus a constant, or a constant unless pc-relative. */
function encodedPointer(asm: Assembler, d: DirectiveUse, encodingArg: [number, number], encoding: bigint, [s, e]: [number, number]): Pointer | undefined {
  if (!supportedEncoding(encoding)) return void report(asm, "PV1013", `invalid or unsupported encoding in ${d.name}`, { start: encodingArg[0], end: encodingArg[1] });
  const value = asm.value(asm.text, s, e);
  if (isProblem(value)) return void asm.report(value);
  if (value.minus !== undefined || (value.plus === undefined && (Number(encoding) & PE_APPLICATION) === PE_PCREL))
    return void report(asm, "PV1013", `wrong argument to ${d.name}: a symbol plus a constant is needed`, { start: s, end: e });
  return { encoding: Number(encoding), value, span: { start: s, end: e } };
}

function valEncodedAddr(asm: Assembler, d: DirectiveUse, list: [number, number][]): void {
  const frame = frameHere(asm, d);
  if (!frame || !counted(asm, d, list, 3, 3, "a register, an encoding and a symbol")) return;
  const reg = register(asm, list[0]!);
  const encoding = constant(asm, list[1]!, "encoding");
  if (reg === undefined || encoding === undefined) return;
  const address = encodedPointer(asm, d, list[1]!, encoding, list[2]!);
  if (address) frame.instructions.push({ kind: "encodedAddress", reg, address });
}

function label(asm: Assembler, d: DirectiveUse, list: [number, number][]): void {
  const frame = frameHere(asm, d);
  if (!frame || !counted(asm, d, list, 1, 1, "a symbol name")) return;
  const [s, e] = list[0]!;
  // as makes the symbol when it writes the label, so it comes after every symbol the code mentions first.
  frame.instructions.push({ kind: "label", name: asm.text.slice(s, e), span: { start: s, end: e } });
}

function sections(asm: Assembler, d: DirectiveUse, list: [number, number][]): void {
  const frames = asm.frames;
  let ehFrame = false;
  let debugFrame = false;
  for (const [s, e] of list) {
    const name = asm.text.slice(s, e);
    // as takes any name that starts like one of these.
    if (name.startsWith(".eh_frame") && name[9] !== "_") ehFrame = true;
    else if (name.startsWith(".debug_frame")) debugFrame = true;
    else if (name.startsWith(".sframe")) return report(asm, "PV1013", "pvopc does not write .sframe", { start: s, end: e });
    else return report(asm, "PV1013", `unknown call frame section '${name}'`, { start: s, end: e });
  }
  // Once a frame has begun, .eh_frame cannot be switched back on.
  if (frames.frames.length > 0 && ehFrame && !frames.ehFrame) return report(asm, CFI_ERROR, "inconsistent uses of .cfi_sections", directiveSpan(d));
  frames.ehFrame = ehFrame;
  frames.debugFrame = debugFrame;
}

function unsupported(message: string): Handler {
  return (asm, d) => report(asm, "PV1013", message, directiveSpan(d));
}

const HANDLERS: readonly [string, Handler][] = [
  [".cfi_startproc", startproc],
  [".cfi_endproc", endproc],
  [".cfi_sections", sections],
  [
    ".cfi_def_cfa",
    frameDirective((asm, frame, d, list) => {
      const parsed = registerAndOffset(asm, d, list);
      if (!parsed) return;
      rule(frame, Cfa.DefCfa, parsed[0], 0, parsed[1]);
      frame.cfaOffset = parsed[1];
    }),
  ],
  [".cfi_def_cfa_register", oneRegister((frame, reg) => rule(frame, Cfa.DefCfaRegister, reg))],
  [".cfi_def_cfa_offset", oneOffset(defineCfaOffset)],
  [".cfi_adjust_cfa_offset", oneOffset((frame, offset) => defineCfaOffset(frame, BigInt.asIntN(64, frame.cfaOffset + offset)))],
  [".cfi_offset", savedRegister(Cfa.Offset, false)],
  [".cfi_rel_offset", savedRegister(Cfa.Offset, true)],
  [".cfi_val_offset", savedRegister(Cfa.ValOffset, false)],
  [
    ".cfi_register",
    frameDirective((asm, frame, d, list) => {
      if (!counted(asm, d, list, 2, 2, "two registers")) return;
      const reg = register(asm, list[0]!);
      const reg2 = register(asm, list[1]!);
      if (reg !== undefined && reg2 !== undefined) rule(frame, Cfa.Register, reg, reg2);
    }),
  ],
  [".cfi_restore", eachRegister(Cfa.Restore)],
  [".cfi_undefined", eachRegister(Cfa.Undefined)],
  [".cfi_same_value", oneRegister((frame, reg) => rule(frame, Cfa.SameValue, reg))],
  [
    ".cfi_return_column",
    oneRegister((frame, reg, span) => {
      frame.returnColumn = reg;
      frame.returnColumnSpan = span;
    }),
  ],
  [
    ".cfi_remember_state",
    bare((_, frame) => {
      rule(frame, Cfa.RememberState, 0);
      frame.remembered.push(frame.cfaOffset);
    }),
  ],
  [
    ".cfi_restore_state",
    bare((asm, frame, span) => {
      rule(frame, Cfa.RestoreState, 0);
      const offset = frame.remembered.pop();
      if (offset === undefined) report(asm, CFI_ERROR, "CFI state restore without previous remember", span);
      else frame.cfaOffset = offset;
    }),
  ],
  [".cfi_window_save", bare((_, frame) => rule(frame, Cfa.GnuWindowSave, 0))],
  // AArch64's name for the same opcode, which as takes on every target.
  [".cfi_negate_ra_state", bare((_, frame) => rule(frame, Cfa.GnuWindowSave, 0))],
  [".cfi_label", label],
  [".cfi_val_encoded_addr", valEncodedAddr],
  [
    ".cfi_signal_frame",
    bare((_, frame) => {
      frame.signalFrame = true;
    }),
  ],
  [".cfi_escape", escape],
  [".cfi_personality", pointerDirective("personality")],
  [".cfi_lsda", pointerDirective("lsda")],
  [".cfi_personality_id", unsupported(".cfi_personality_id is not supported for this target")],
  [".cfi_fde_data", unsupported(".cfi_fde_data is not supported for this target")],
  [".cfi_inline_lsda", unsupported(".cfi_inline_lsda is not supported for this target")],
];

/** The `.cfi_*` directives, which the assembler looks up with those of directives.ts. */
export const CFI_DIRECTIVES: ReadonlyMap<string, (asm: Assembler, d: DirectiveUse) => void> = new Map(
  HANDLERS.map(([name, handler]) => [name, (asm: Assembler, d: DirectiveUse) => handler(asm, d, args(asm, d))]),
);

// ---- after layout: writing .eh_frame and .debug_frame ----

interface Cie {
  readonly frame: Frame;
  /** The frame's leading rules the CIE holds. */
  readonly initial: readonly Rule[];
  /** Where the CIE starts in the section's bytes. */
  readonly at: number;
  /** A label there, for .debug_frame's FDEs, which point at their CIE with a relocation. */
  readonly symbol: SymbolId;
}

/**
 * Writes .eh_frame and .debug_frame (as `.cfi_sections` asked) for the frames of the assembly,
 * once layout has relaxed the code sections; returns the sections it created, which join the
 * others for fixups and the Image.
 */
export function writeCallFrames(asm: Assembler): SectionState[] {
  const frames = asm.frames.frames;
  for (const frame of frames) {
    if (frame.end) continue;
    asm.diagnostics.push(error(CFI_ERROR, "open CFI at the end of file; missing .cfi_endproc directive", asm.file, frame.span));
    frame.end = frame.start;
  }
  const before = asm.sectionList.length;
  const ehFrame = frames.some((f) => f.inEhFrame);
  const debugFrame = frames.some((f) => f.inDebugFrame);
  if (ehFrame || debugFrame) asm.section(".note.GNU-stack");
  if (ehFrame) writeFrames(asm, true);
  if (debugFrame) writeFrames(asm, false);
  return asm.sectionList.slice(before);
}

/** One of the two sections: CIEs written as the frames need them, searched newest first as as does. */
function writeFrames(asm: Assembler, eh: boolean): void {
  const frames = asm.frames.frames;
  const out = asm.section(eh ? ".eh_frame" : ".debug_frame");
  out.kind = "progbits";
  out.flags = { alloc: eh, write: false, exec: false };
  out.align = Math.max(out.align, FRAME_SECTION_ALIGNMENT);
  const writer = new FrameWriter(asm, out, eh);
  const cies: Cie[] = [];
  frames.forEach((frame, k) => {
    if (!(eh ? frame.inEhFrame : frame.inDebugFrame)) return;
    let cie = cies.find((c) => writer.fits(c, frame));
    if (!cie) {
      cie = writer.cie(frame);
      cies.unshift(cie);
    }
    writer.fde(frame, cie, !eh || k === frames.length - 1 ? FRAME_SECTION_ALIGNMENT : 4);
  });
}

/** The rules a CIE may hold as initial instructions. */
function initialRule(insn: Instruction): insn is Rule {
  return insn.kind === "rule" && insn.op !== Cfa.RememberState && insn.op !== Cfa.RestoreState && insn.op !== Cfa.GnuWindowSave;
}

function sameRule(a: Rule, b: Instruction): boolean {
  return b.kind === "rule" && a.op === b.op && a.reg === b.reg && a.reg2 === b.reg2 && a.offset === b.offset;
}

function samePointer(a: Pointer | undefined, b: Pointer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.encoding === b.encoding && a.value.plus === b.value.plus && a.value.addend === b.value.addend;
}

/**
 * Appends CIEs and FDEs to .eh_frame or .debug_frame, fixups included. .debug_frame has no
 * augmentation (save `S`), no personality or LSDA, absolute 8-byte code addresses, relocated
 * CIE pointers and 8-byte alignment throughout.
 */
class FrameWriter {
  constructor(
    private readonly asm: Assembler,
    private readonly out: SectionState,
    private readonly eh: boolean,
  ) {}

  private personality(frame: Frame): Pointer | undefined {
    return this.eh ? frame.personality : undefined;
  }

  private lsda(frame: Frame): Pointer | undefined {
    return this.eh ? frame.lsda : undefined;
  }

  fits(cie: Cie, frame: Frame): boolean {
    const model = cie.frame;
    if (model.returnColumn !== frame.returnColumn || model.signalFrame !== frame.signalFrame) return false;
    if (!samePointer(this.personality(model), this.personality(frame))) return false;
    if ((this.lsda(model)?.encoding ?? PE_OMIT) !== (this.lsda(frame)?.encoding ?? PE_OMIT)) return false;
    return cie.initial.every((r, i) => i < frame.instructions.length && sameRule(r, frame.instructions[i]!));
  }

  cie(frame: Frame): Cie {
    const out = this.out;
    let count = 0;
    while (count < frame.instructions.length && initialRule(frame.instructions[count]!)) count++;
    const symbol = this.asm.symbol(`\u0001.cie${out.order}.${out.len}`);
    this.asm.symbols.place(symbol, out, out.len, out.parts.length);
    const cie: Cie = { frame, initial: frame.instructions.slice(0, count) as Rule[], at: out.len, symbol };
    const length = this.begin();
    this.u32(this.eh ? 0 : 0xffffffff); // CIE id
    this.byte(1); // version
    const personality = this.personality(frame);
    const lsda = this.lsda(frame);
    const augmentation = (this.eh ? "z" + (personality ? "P" : "") + (lsda ? "L" : "") + "R" : "") + (frame.signalFrame ? "S" : "");
    for (const c of augmentation) this.byte(c.charCodeAt(0));
    this.byte(0);
    this.uleb(1n); // code alignment
    this.sleb(DATA_ALIGNMENT);
    if (frame.returnColumn > 0xff) {
      const span = frame.returnColumnSpan ?? frame.span;
      this.asm.diagnostics.push(error("PV1013", `return column number ${frame.returnColumn} overflows in CIE version 1`, this.asm.file, span));
    }
    this.byte(frame.returnColumn);
    if (this.eh) {
      this.uleb(BigInt(1 + (lsda ? 1 : 0) + (personality ? 1 + encodingSize(personality.encoding) : 0)));
      if (personality) {
        this.byte(personality.encoding);
        this.pointer(personality);
      }
      if (lsda) this.byte(lsda.encoding);
      this.byte(FDE_ENCODING);
    }
    for (const r of cie.initial) this.instruction(frame, r);
    this.end(length, this.eh ? 4 : FRAME_SECTION_ALIGNMENT);
    return cie;
  }

  fde(frame: Frame, cie: Cie, alignment: number): void {
    const out = this.out;
    const length = this.begin();
    const addressSize = this.eh ? 4 : 8;
    if (this.eh) this.u32(out.len - cie.at);
    else this.fixup(4, false, cie.symbol, 0n, frame.span);
    this.fixup(addressSize, this.eh, frame.startSymbol, 0n, frame.span);
    this.uint(BigInt(frame.section.address(frame.end!.off, frame.end!.nvar) - frame.section.address(frame.start.off, frame.start.nvar)), addressSize);
    const lsda = this.lsda(frame);
    if (this.eh) this.uleb(BigInt(lsda ? encodingSize(lsda.encoding) : 0));
    if (lsda) this.pointer(lsda);
    for (const insn of frame.instructions.slice(cie.initial.length)) this.instruction(frame, insn);
    this.end(length, alignment);
  }

  /** Starts an entry with room for its length; returns where that goes. */
  private begin(): number {
    this.u32(0);
    return this.out.len;
  }

  /** Pads the entry with DW_CFA_nop and fills in its length. */
  private end(afterLength: number, alignment: number): void {
    const out = this.out;
    while (out.address(out.len, out.parts.length) % alignment !== 0) this.byte(Cfa.Nop);
    const length = out.len - afterLength;
    for (let i = 0; i < 4; i++) out.buf[afterLength - 4 + i] = (length >>> (8 * i)) & 0xff;
  }

  private instruction(frame: Frame, insn: Instruction): void {
    if (insn.kind === "advance") return this.advance(frame.section.address(insn.to.off, insn.to.nvar) - frame.section.address(insn.from.off, insn.from.nvar));
    if (insn.kind === "escape") {
      for (const b of insn.bytes) this.value(b, 1);
      return;
    }
    if (insn.kind === "label") return this.label(insn.name, insn.span);
    if (insn.kind === "encodedAddress") return this.encodedAddress(insn.reg, insn.address);
    const { op, reg, offset } = insn;
    switch (op) {
      case Cfa.DefCfa:
        if (offset < 0n) return this.ops(Cfa.DefCfaSf, reg, offset / DATA_ALIGNMENT, true);
        return this.ops(Cfa.DefCfa, reg, offset, false);
      case Cfa.DefCfaOffset:
        this.byte(offset < 0n ? Cfa.DefCfaOffsetSf : Cfa.DefCfaOffset);
        return offset < 0n ? this.sleb(offset / DATA_ALIGNMENT) : this.uleb(offset);
      case Cfa.Offset: {
        const scaled = offset / DATA_ALIGNMENT;
        if (scaled < 0n) return this.ops(Cfa.OffsetExtendedSf, reg, scaled, true);
        if (reg <= 0x3f) {
          this.byte(Cfa.Offset + reg);
          return this.uleb(scaled);
        }
        return this.ops(Cfa.OffsetExtended, reg, scaled, false);
      }
      case Cfa.ValOffset: {
        const scaled = offset / DATA_ALIGNMENT;
        return this.ops(scaled < 0n ? Cfa.ValOffsetSf : Cfa.ValOffset, reg, scaled, scaled < 0n);
      }
      case Cfa.Restore:
        if (reg <= 0x3f) return this.byte(Cfa.Restore + reg);
        this.byte(Cfa.RestoreExtended);
        return this.uleb(BigInt(reg));
      case Cfa.Register:
        this.byte(Cfa.Register);
        this.uleb(BigInt(reg));
        return this.uleb(BigInt(insn.reg2));
      case Cfa.DefCfaRegister:
      case Cfa.Undefined:
      case Cfa.SameValue:
        this.byte(op);
        return this.uleb(BigInt(reg));
      default:
        return this.byte(op);
    }
  }

  /** An instruction with a register and an offset operand. */
  private ops(op: Cfa, reg: number, offset: bigint, signed: boolean): void {
    this.byte(op);
    this.uleb(BigInt(reg));
    if (signed) this.sleb(offset);
    else this.uleb(offset);
  }

  private advance(delta: number): void {
    if (delta === 0) return;
    if (delta <= 0x3f) return this.byte(Cfa.AdvanceLoc + delta);
    const size = delta <= 0xff ? 1 : delta <= 0xffff ? 2 : 4;
    this.byte(size === 1 ? Cfa.AdvanceLoc1 : size === 2 ? Cfa.AdvanceLoc2 : Cfa.AdvanceLoc4);
    this.uint(BigInt(delta), size);
  }

  /** as defines the label when it writes the instruction, so a label of the same name in the code comes first. */
  private label(name: string, span: Span): void {
    const asm = this.asm;
    const symbol = asm.symbol(name);
    if (asm.symbols.defined(symbol)) return asm.redefinition(name, symbol, span);
    asm.symbols.place(symbol, this.out, this.out.len, this.out.parts.length);
    asm.symbols.setDefinedAt(symbol, span.start, span.end);
  }

  /** DW_CFA_val_expression with an address: DW_OP_addr when absolute, else DW_OP_GNU_encoded_addr. */
  private encodedAddress(reg: number, address: Pointer): void {
    this.byte(Cfa.ValExpression);
    this.uleb(BigInt(reg));
    const size = encodingSize(address.encoding);
    if (address.encoding === PE_ABSPTR) {
      this.uleb(BigInt(1 + size));
      this.byte(DW_OP_ADDR);
    } else {
      this.uleb(BigInt(2 + size));
      this.byte(DW_OP_GNU_ENCODED_ADDR);
      this.byte(address.encoding);
    }
    this.pointer(address);
  }

  /** A personality or LSDA pointer in its encoding: pc-relative means `symbol - .`. */
  private pointer(p: Pointer): void {
    this.value(p, encodingSize(p.encoding), (p.encoding & PE_APPLICATION) === PE_PCREL);
  }

  /** A value of `size` bytes: written when constant, else a fixup for layout to resolve. */
  private value({ value, span }: SpannedValue, size: number, pcrel = false): void {
    if (value.plus === undefined) return this.uint(value.addend, size);
    this.fixup(size, pcrel, this.asm.symbol(value.plus), value.addend, span, value.minus === undefined ? -1 : this.asm.symbol(value.minus));
  }

  /** A field of `size` bytes left for layout: `plus - minus + addend`, or that minus the field's place. */
  private fixup(size: number, pcrel: boolean, plus: SymbolId, addend: bigint, span: Span, minus: SymbolId = -1): void {
    const out = this.out;
    out.fixups.add(out.len, out.parts.length, size as 1 | 2 | 4 | 8, pcrel ? "pcrel" : "unsigned", false, plus, minus, addend, span.start, span.end, NO_OPERATOR | FIXUP_DATA);
    this.uint(0n, size);
  }

  private byte(value: number): void {
    const out = this.out;
    out.reserve(1);
    out.buf[out.len++] = value & 0xff;
  }

  private u32(value: number): void {
    this.uint(BigInt(value), 4);
  }

  private uint(value: bigint, size: number): void {
    let x = BigInt.asUintN(size * 8, value);
    for (let i = 0; i < size; i++) {
      this.byte(Number(x & 0xffn));
      x >>= 8n;
    }
  }

  private uleb(value: bigint): void {
    let x = BigInt.asUintN(64, value);
    do {
      const low = Number(x & 0x7fn);
      x >>= 7n;
      this.byte(x === 0n ? low : low | 0x80);
    } while (x !== 0n);
  }

  private sleb(value: bigint): void {
    let x = value;
    for (;;) {
      const low = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (low & 0x40) === 0) || (x === -1n && (low & 0x40) !== 0);
      this.byte(done ? low : low | 0x80);
      if (done) return;
    }
  }
}
