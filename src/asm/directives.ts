/**
 * The directives pvopc's assembler accepts, each as GNU as 2.40 reads it on x86-64 ELF
 * (`.align` counts bytes, like `.balign`). docs/assembler.md lists them.
 */
import type { Span } from "../diag/diagnostic.js";
import { ESCAPES, isProblem, isSymbolChar, problem, type SyntaxProblem, type Value } from "../x86/expr.js";
import { MAX_NOP } from "../x86/nops.js";
import { NO_OPERATOR, PLT_OPERATOR } from "../x86/reloc-operators.js";
import { splitOperands } from "../x86/syntax.js";
import type { SymbolBinding, SymbolType, SymbolVisibility } from "../image/image.js";
import type { Assembler } from "./assembler.js";
import { changedAttributes, newSectionAttributes, parseSectionFlags, sectionAttributesByName, sectionKindOf, type SectionAttributes } from "./sections.js";
import { FIXUP_DATA, type AlignPart, type OrgPart, type SectionState, type SymbolId } from "./state.js";

export interface DirectiveUse {
  /** Lower-case directive name with its dot. */
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** The arguments text, trimmed. */
  readonly argsStart: number;
  readonly argsEnd: number;
}

type Handler = (asm: Assembler, d: DirectiveUse) => void;

export function args(asm: Assembler, d: DirectiveUse): [number, number][] {
  if (d.argsStart >= d.argsEnd) return [];
  return splitOperands(asm.text, d.argsStart, d.argsEnd);
}

/** Reports `p`; undefined, for the functions that answer undefined once they have said why. */
function reject(asm: Assembler, p: SyntaxProblem): undefined {
  asm.report(p);
  return undefined;
}

function wrongCount(asm: Assembler, d: DirectiveUse, expected: string): undefined {
  return reject(asm, problem("PV1013", `${d.name} takes ${expected}`, d.start, Math.max(d.end, d.argsEnd)));
}

/** A constant argument, or undefined after reporting why not. */
export function constant(asm: Assembler, [s, e]: [number, number], what: string): bigint | undefined {
  const v = asm.value(asm.text, s, e);
  if (isProblem(v)) {
    asm.report(v);
    return undefined;
  }
  if (v.plus !== undefined || v.minus !== undefined) {
    asm.report(problem("PV1013", `${what} must be a constant`, s, e));
    return undefined;
  }
  return BigInt.asIntN(64, v.addend);
}

function count(asm: Assembler, arg: [number, number], what: string, max = 1 << 28): number | undefined {
  const v = constant(asm, arg, what);
  if (v === undefined) return undefined;
  if (v < 0n || v > BigInt(max)) {
    asm.report(problem("PV1013", `${what} ${v} is out of range (0-${max})`, arg[0], arg[1]));
    return undefined;
  }
  return Number(v);
}

/** True when a constant fits `size` bytes signed or unsigned, as gas accepts without complaint. */
export function fitsData(value: bigint, size: number): boolean {
  if (size >= 8) return true;
  const v = BigInt.asIntN(64, value);
  const limit = 1n << BigInt(size * 8);
  return v > -limit && v < limit;
}

function writeLittleEndian(asm: Assembler, value: bigint, size: number): void {
  const section = asm.current;
  section.reserve(size);
  let x = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    section.buf[section.len++] = Number(x & 0xffn);
    x >>= 8n;
  }
}

function noData(asm: Assembler, span: Span): boolean {
  if (asm.current.kind !== "nobits") return false;
  asm.report(problem("PV1013", `section '${asm.current.name}' is nobits and cannot hold data (use .skip or .zero)`, span.start, span.end));
  return true;
}

function data(size: 1 | 2 | 4 | 8): Handler {
  return (asm, d) => {
    const list = args(asm, d);
    if (list.length === 0) return;
    if (noData(asm, d)) return;
    for (const [s, e] of list) {
      // as reads relocation operators in .long and .quad only.
      const v = size >= 4 ? asm.relocatableValue(asm.text, s, e) : asm.value(asm.text, s, e);
      if (isProblem(v)) {
        asm.report(v);
        continue;
      }
      if (v.plus === undefined && v.minus !== undefined) {
        asm.report(problem("PV1018", "a symbol may only be subtracted from another symbol", s, e));
        continue;
      }
      if (v.operator === PLT_OPERATOR && v.minus !== undefined) {
        asm.report(problem("PV1020", `invalid PLT expression \`${asm.text.slice(s, e)}'`, s, e));
        continue;
      }
      if (v.plus === undefined) {
        if (!fitsData(v.addend, size)) asm.report(problem("PV1017", `value 0x${v.addend.toString(16)} does not fit in ${size * 8} bits`, s, e));
        else writeLittleEndian(asm, v.addend, size);
        continue;
      }
      const section = asm.current;
      const plus = asm.symbol(v.plus);
      const minus = v.minus === undefined ? -1 : asm.symbol(v.minus);
      section.fixups.add(section.len, section.parts.length, size, "unsigned", false, plus, minus, v.addend, s, e, (v.operator ?? NO_OPERATOR) | FIXUP_DATA);
      writeLittleEndian(asm, 0n, size);
    }
  };
}

/** Decodes a quoted string with C escapes (\n, \t, \\, \", octal \ooo, hex \xhh). */
function stringBytes(asm: Assembler, s: number, e: number): number[] | undefined {
  const text = asm.text;
  if (text.charCodeAt(s) !== 34 || text.charCodeAt(e - 1) !== 34 || e - s < 2) {
    asm.report(problem("PV1013", "expected a string in double quotes", s, e));
    return undefined;
  }
  const out: number[] = [];
  for (let i = s + 1; i < e - 1; i++) {
    const c = text.charCodeAt(i);
    if (c !== 92) {
      if (c < 0x80) out.push(c);
      else out.push(...new TextEncoder().encode(text[i]!));
      continue;
    }
    const n = text[++i]!;
    if (n >= "0" && n <= "7") {
      let v = 0;
      let k = 0;
      while (k < 3 && i < e - 1 && text[i]! >= "0" && text[i]! <= "7") {
        v = v * 8 + Number(text[i]);
        i++;
        k++;
      }
      i--;
      out.push(v & 0xff);
    } else if (n === "x" || n === "X") {
      let v = 0;
      while (i + 1 < e - 1 && /[0-9a-fA-F]/.test(text[i + 1]!)) v = v * 16 + parseInt(text[++i]!, 16);
      out.push(v & 0xff);
    } else out.push(ESCAPES[n] ?? n.charCodeAt(0));
  }
  return out;
}

/** Appends the directive's string arguments to `section`, each NUL-terminated if `terminate`. */
function appendStrings(asm: Assembler, d: DirectiveUse, section: SectionState, terminate: boolean): void {
  for (const [s, e] of args(asm, d)) {
    const bytes = stringBytes(asm, s, e);
    if (!bytes) continue;
    if (terminate) bytes.push(0);
    section.append(Uint8Array.from(bytes));
  }
}

function ascii(terminate: boolean): Handler {
  return (asm, d) => {
    if (noData(asm, d)) return;
    appendStrings(asm, d, asm.current, terminate);
  };
}

/**
 * `.ident "string"`: the string goes to .comment, which as makes a section of merged strings
 * (flags "MS", entry size 1) starting with a NUL when the first `.ident` comes.
 */
function ident(asm: Assembler, d: DirectiveUse): void {
  const comment = asm.section(".comment");
  if (!asm.commentStarted) {
    asm.commentStarted = true;
    comment.flags = { alloc: false, write: false, exec: false, merge: true, strings: true };
    comment.entsize = 1;
    comment.fill(0, 1);
  }
  appendStrings(asm, d, comment, true);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `.file "name"`: an STT_FILE symbol. The DWARF form `.file N "name"` needs .debug_line, which pvopc does not make. */
function file(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length !== 1) return wrongCount(asm, d, "a file name in double quotes");
  const [s, e] = list[0]!;
  const text = asm.text.slice(s, e);
  if (/^\d/.test(text)) return asm.report(problem("PV1013", '.file with a file number (DWARF line information in .debug_line) is not supported', s, e));
  if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) return asm.report(problem("PV1013", "expected a file name in double quotes", s, e));
  const bytes = stringBytes(asm, s, e);
  if (!bytes) return;
  let name: string;
  try {
    name = utf8.decode(Uint8Array.from(bytes));
  } catch {
    return asm.report(problem("PV1013", "the file name is not valid UTF-8", s, e));
  }
  asm.fileSymbol(name);
}

function space(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length < 1 || list.length > 2) return wrongCount(asm, d, "a size and an optional fill byte");
  const n = count(asm, list[0]!, "size");
  if (n === undefined) return;
  let fill = 0n;
  if (list.length === 2) {
    const f = constant(asm, list[1]!, "fill");
    if (f === undefined) return;
    fill = f;
  }
  if (fill !== 0n && noData(asm, d)) return;
  asm.current.fill(Number(BigInt.asUintN(8, fill)), n);
}

function fill(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length < 1 || list.length > 3) return wrongCount(asm, d, "repeat[, size[, value]]");
  const repeat = count(asm, list[0]!, "repeat count");
  const size = list.length > 1 ? count(asm, list[1]!, "size", 8) : 1;
  const value = list.length > 2 ? constant(asm, list[2]!, "value") : 0n;
  if (repeat === undefined || size === undefined || value === undefined) return;
  if (value !== 0n && noData(asm, d)) return;
  // gas takes the value from an 8-byte number whose upper four bytes are zero.
  const v = BigInt.asUintN(32, value);
  for (let r = 0; r < repeat; r++) writeLittleEndian(asm, size > 4 ? v : BigInt.asUintN(size * 8, v), size);
}

function align(kind: "bytes" | "power"): Handler {
  return (asm, d) => {
    const list = args(asm, d);
    if (list.length < 1 || list.length > 3) return wrongCount(asm, d, "an alignment, an optional fill and an optional maximum");
    const a = count(asm, list[0]!, "alignment", kind === "power" ? 31 : 1 << 30);
    if (a === undefined) return;
    let alignment = kind === "power" ? 2 ** a : a;
    if (alignment === 0) alignment = 1;
    if ((alignment & (alignment - 1)) !== 0) return asm.report(problem("PV1013", `alignment ${alignment} is not a power of 2`, list[0]![0], list[0]![1]));
    const section = asm.current;
    let fillValue: number | "nop" = section.flags.exec ? "nop" : 0;
    if (list.length > 1 && list[1]![1] > list[1]![0]) {
      const f = constant(asm, list[1]!, "fill");
      if (f === undefined) return;
      const byte = Number(BigInt.asUintN(8, f));
      // gas pads code with NOPs when asked for the one-byte NOP as fill.
      fillValue = section.flags.exec && byte === 0x90 ? "nop" : byte;
    }
    let max = 0;
    if (list.length > 2) {
      const m = count(asm, list[2]!, "maximum");
      if (m === undefined) return;
      max = m;
    }
    if (section.kind === "nobits") fillValue = 0;
    alignHere(section, alignment, max, fillValue);
  };
}

/** Pads `section` here to a multiple of `alignment` (at most `max` bytes, 0: no limit) and raises its alignment. */
function alignHere(section: SectionState, alignment: number, max: number, fill: AlignPart["fill"]): void {
  section.align = Math.max(section.align, alignment);
  // as starts no new fragment for an alignment of 1, which CFI advances can tell (cfi.ts).
  if (alignment === 1) return;
  section.parts.push({ kind: "align", at: section.len, alignment, max, fill, size: 0 });
}

/** The symbol `.comm`/`.lcomm` declares, or undefined after reporting that it is defined otherwise. */
function commonSymbol(asm: Assembler, [s, e]: [number, number], mayBeCommon: boolean): SymbolId | undefined {
  if (!isSymbolName(asm.text, s, e)) return reject(asm, problem("PV1013", `expected a symbol name, found '${asm.text.slice(s, e)}'`, s, e));
  const id = asm.symbolAt(asm.text, s, e);
  const symbols = asm.symbols;
  if (symbols.defined(id) && !(mayBeCommon && symbols.common(id))) {
    asm.redefinition(symbols.name(id), id, { start: s, end: e });
    return undefined;
  }
  return id;
}

/**
 * Reserves `size` zero bytes for a local common symbol in .bss, as as does: in .bss
 * subsection 1, after everything .bss itself holds, aligned to `alignment` bytes.
 */
function allocateInBss(asm: Assembler, id: SymbolId, size: number, alignment: number, span: Span): void {
  const bss = asm.subsection(asm.section(".bss"), 1);
  if (alignment > 1) alignHere(bss, alignment, 0, 0);
  const symbols = asm.symbols;
  symbols.place(id, bss, bss.len, bss.parts.length);
  symbols.setDefinedAt(id, span.start, span.end);
  symbols.setType(id, "object");
  symbols.setSize(id, { value: { addend: BigInt(size) }, span });
  bss.fill(0, size);
}

/**
 * `.comm sym, size[, alignment]`: a common symbol (its alignment any number, as as takes it),
 * or, for a symbol declared `.local` before, `size` bytes of .bss (the alignment a power of 2).
 */
function comm(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length < 2 || list.length > 3) return wrongCount(asm, d, "a symbol name, a size and an optional alignment");
  const id = commonSymbol(asm, list[0]!, true);
  if (id === undefined) return;
  const symbols = asm.symbols;
  const span = { start: d.start, end: d.argsEnd };
  if (symbols.binding(id) === "local") {
    const size = count(asm, list[1]!, "size");
    const alignment = list.length > 2 ? count(asm, list[2]!, "alignment", 1 << 30) : 0;
    if (size === undefined || alignment === undefined) return;
    if ((alignment & (alignment - 1)) !== 0) return asm.report(problem("PV1013", `alignment ${alignment} is not a power of 2`, list[2]![0], list[2]![1]));
    return allocateInBss(asm, id, size, alignment, span);
  }
  const size = count(asm, list[1]!, "size", Number.MAX_SAFE_INTEGER);
  const alignment = list.length > 2 ? count(asm, list[2]!, "alignment", Number.MAX_SAFE_INTEGER) : 0;
  if (size === undefined || alignment === undefined) return;
  const earlier = symbols.common(id);
  // as keeps the first size, with a warning; pvopc refuses the change.
  if (earlier && earlier.size !== BigInt(size)) return asm.report(problem("PV1013", `the size of '${symbols.name(id)}' is already ${earlier.size}`, list[1]![0], list[1]![1]));
  symbols.setCommon(id, { size: BigInt(size), alignment: BigInt(alignment), span });
}

/** `.lcomm sym, size`: `size` bytes of .bss, aligned as as aligns by size (8 bytes from 8 up, then 4, 2). */
function lcomm(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length !== 2) return wrongCount(asm, d, "a symbol name and a size");
  const id = commonSymbol(asm, list[0]!, false);
  const size = count(asm, list[1]!, "size");
  if (id === undefined || size === undefined) return;
  const alignment = size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
  allocateInBss(asm, id, size, alignment, { start: d.start, end: d.argsEnd });
}

/** How far `.org` may move (the bytes are made). */
const MAX_ORG = 1 << 28;

/**
 * `.org offset[, fill]`: fills up to `offset` from the section's start, or to a label of this
 * section defined before plus a constant; layout reports a target behind the directive.
 */
function org(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length < 1 || list.length > 2) return wrongCount(asm, d, "an offset and an optional fill byte");
  const [s, e] = list[0]!;
  const v = asm.value(asm.text, s, e);
  if (isProblem(v)) return asm.report(v);
  const fillValue = list.length > 1 ? constant(asm, list[1]!, "fill") : 0n;
  if (fillValue === undefined) return;
  if (fillValue !== 0n && noData(asm, d)) return;
  const section = asm.current;
  let label: OrgPart["label"];
  if (v.plus !== undefined && v.minus === undefined) {
    const id = asm.symbol(v.plus);
    if (asm.symbols.section(id) === section) label = { off: asm.symbols.off(id), nvar: asm.symbols.nvar(id) };
  }
  if (v.minus !== undefined || (v.plus !== undefined && !label)) return asm.report(problem("PV1013", ".org needs a constant or a label of this section defined before it", s, e));
  const addend = BigInt.asIntN(64, v.addend);
  if (addend < -MAX_ORG || addend > MAX_ORG) return asm.report(problem("PV1013", `.org offset ${addend} is out of range (${-MAX_ORG}-${MAX_ORG})`, s, e));
  const part: OrgPart = { kind: "org", at: section.len, label, addend: Number(addend), fill: Number(BigInt.asUintN(8, fillValue)), start: s, end: e, size: 0, backwards: false };
  section.parts.push(part);
}

function nops(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length < 1 || list.length > 2) return wrongCount(asm, d, "a size and an optional maximum NOP length");
  const n = count(asm, list[0]!, "size");
  const max = list.length > 1 ? count(asm, list[1]!, "maximum NOP length", MAX_NOP) : undefined;
  if (n === undefined || (list.length > 1 && max === undefined)) return;
  if (noData(asm, d)) return;
  const section = asm.current;
  section.parts.push({ kind: "nops", at: section.len, count: n, maxNop: max === undefined || max === 0 ? MAX_NOP : max, size: 0 });
}

/** A section name: a run of non-blank, non-comma characters, or a quoted string. */
function sectionName(asm: Assembler, [s, e]: [number, number]): string | undefined {
  const text = asm.text.slice(s, e);
  if (/^"[^"]+"$/.test(text)) return text.slice(1, -1);
  if (/^[A-Za-z0-9_.$-]+$/.test(text)) return text;
  asm.report(problem("PV1013", `invalid section name '${text}'`, s, e));
  return undefined;
}

function sectionDirective(push: boolean): Handler {
  return (asm, d) => {
    const list = args(asm, d);
    if (list.length < 1) return wrongCount(asm, d, "a section name");
    const name = sectionName(asm, list[0]!);
    if (name === undefined) return;
    // `.pushsection NAME, N` goes to subsection N.
    const numbered = push && list.length === 2 && asm.text.charCodeAt(list[1]![0]) !== 34;
    const n = numbered ? subsectionNumber(asm, list[1]!) : 0;
    const attributes = numbered ? sectionAttributesByName(name) : sectionAttributes(asm, d, name, list);
    if (n === undefined || attributes === undefined) return;
    const existing = asm.sections.get(name);
    const changed = existing && !numbered && list.length > 1 ? changedAttributes(name, existing, attributes, list.length > 2) : undefined;
    if (changed) return asm.report(problem("PV1013", changed, list[1]![0], list[list.length - 1]![1]));
    const section = asm.subsection(asm.section(name, attributes), n);
    if (push) asm.sectionStack.push({ current: asm.current, previous: asm.previous });
    asm.switchTo(section);
  };
}

/** The attributes `.section NAME, "FLAGS", @TYPE, ENTSIZE` gives, or undefined after reporting what is wrong. */
function sectionAttributes(asm: Assembler, d: DirectiveUse, name: string, list: [number, number][]): SectionAttributes | undefined {
  const byName = sectionAttributesByName(name);
  if (list.length < 2) return byName;
  if (list.length > 4) return wrongCount(asm, d, "a name, flags, a type and an entry size");
  const [fs, fe] = list[1]!;
  const flagText = asm.text.slice(fs, fe);
  if (!/^"[^"]*"$/.test(flagText)) return reject(asm, problem("PV1013", `expected section flags in double quotes, found '${flagText}'`, fs, fe));
  const flags = parseSectionFlags(flagText.slice(1, -1));
  if ("bad" in flags) return reject(asm, problem("PV1013", `unsupported section flag '${flags.bad}'`, fs, fe));
  let kind = byName.kind;
  if (list.length > 2) {
    const [ts, te] = list[2]!;
    const k = sectionKindOf(asm.text.slice(ts, te));
    if (!k) return reject(asm, problem("PV1013", `unsupported section type '${asm.text.slice(ts, te)}'`, ts, te));
    kind = k;
  }
  const entsize = list.length > 3 ? count(asm, list[3]!, "entry size") : 0;
  if (entsize === undefined) return undefined;
  return newSectionAttributes(name, { kind, flags, entsize });
}

/** A subsection number (pvopc takes 0 and up; as also takes negative ones, which go first). */
function subsectionNumber(asm: Assembler, arg: [number, number]): number | undefined {
  const n = constant(asm, arg, "subsection");
  if (n === undefined) return undefined;
  if (n < 0n) return reject(asm, problem("PV1013", "negative subsections are not supported", arg[0], arg[1]));
  if (n > 0x7fffffffn) return reject(asm, problem("PV1013", `subsection ${n} is out of range (0-${0x7fffffff})`, arg[0], arg[1]));
  return Number(n);
}

function simpleSection(name: string): Handler {
  return (asm, d) => {
    const list = args(asm, d);
    if (list.length > 1) return wrongCount(asm, d, "an optional subsection number");
    const n = list.length ? subsectionNumber(asm, list[0]!) : 0;
    if (n === undefined) return;
    asm.switchTo(asm.subsection(asm.section(name), n));
  };
}

function subsection(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length !== 1) return wrongCount(asm, d, "a subsection number");
  const n = subsectionNumber(asm, list[0]!);
  if (n !== undefined) asm.switchTo(asm.subsection(asm.current, n));
}

function popsection(asm: Assembler, d: DirectiveUse): void {
  const top = asm.sectionStack.pop();
  if (!top) return asm.report(problem("PV1016", ".popsection without a matching .pushsection", d.start, d.end));
  asm.current = top.current;
  asm.previous = top.previous;
}

function previous(asm: Assembler): void {
  const p = asm.previous;
  asm.previous = asm.current;
  asm.current = p;
}

/** The symbols named by `.globl a, b` and friends (an invalid name is reported and left out). */
function names(asm: Assembler, d: DirectiveUse): SymbolId[] {
  const out: SymbolId[] = [];
  for (const [s, e] of args(asm, d)) {
    if (!isSymbolName(asm.text, s, e)) asm.report(problem("PV1013", `invalid symbol name '${asm.text.slice(s, e)}'`, s, e));
    else out.push(asm.symbolAt(asm.text, s, e));
  }
  if (out.length === 0 && d.argsStart >= d.argsEnd) wrongCount(asm, d, "one or more symbol names");
  return out;
}

/** Whether text[start..end) is a symbol name: letters, digits, `_`, `.` and `$`, not starting with a digit. */
function isSymbolName(text: string, start: number, end: number): boolean {
  if (end <= start || !isSymbolChar(text.charCodeAt(start)) || isDigit(text.charCodeAt(start))) return false;
  for (let i = start + 1; i < end; i++) if (!isSymbolChar(text.charCodeAt(i))) return false;
  return true;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

function binding(b: SymbolBinding): Handler {
  return (asm, d) => {
    for (const id of names(asm, d)) {
      // `.local` and `.globl` leave a weak symbol weak (symbols.c S_CLEAR_EXTERNAL and
      // S_SET_EXTERNAL: "Let .weak override").
      if (b !== "weak" && asm.symbols.binding(id) === "weak") continue;
      asm.symbols.setBinding(id, b);
    }
  };
}

function visibility(v: SymbolVisibility): Handler {
  return (asm, d) => {
    for (const id of names(asm, d)) asm.symbols.setVisibility(id, v);
  };
}

const TYPE_NAMES: Record<string, SymbolType> = {
  function: "func",
  func: "func",
  stt_func: "func",
  object: "object",
  stt_object: "object",
  notype: "notype",
  stt_notype: "notype",
};

function type(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length !== 2) return wrongCount(asm, d, "a symbol name and a type (@function, @object, @notype)");
  const [ns, ne] = list[0]!;
  const [ts, te] = list[1]!;
  // @function, %function, "function"
  const text = asm.text;
  const from = ts < te && (text[ts] === "@" || text[ts] === "%" || text[ts] === '"') ? ts + 1 : ts;
  const to = te > from && text[te - 1] === '"' ? te - 1 : te;
  const t = TYPE_NAMES[text.slice(from, to).toLowerCase()];
  if (!t) return asm.report(problem("PV1013", `unsupported symbol type '${text.slice(ts, te)}'`, ts, te));
  asm.symbols.setType(asm.symbolAt(text, ns, ne), t);
}

function size(asm: Assembler, d: DirectiveUse): void {
  const list = args(asm, d);
  if (list.length !== 2) return wrongCount(asm, d, "a symbol name and a size expression");
  const [ns, ne] = list[0]!;
  const [es, ee] = list[1]!;
  const v: Value | ReturnType<typeof problem> = asm.value(asm.text, es, ee);
  if (isProblem(v)) return asm.report(v);
  asm.symbols.setSize(asm.symbolAt(asm.text, ns, ne), { value: v, span: { start: es, end: ee } });
}

function set(mustBeNew: boolean): Handler {
  return (asm, d) => {
    const list = args(asm, d);
    if (list.length !== 2) return wrongCount(asm, d, "a symbol name and an expression");
    const [ns, ne] = list[0]!;
    const name = asm.text.slice(ns, ne);
    if (!isSymbolName(asm.text, ns, ne)) return asm.report(problem("PV1013", `invalid symbol name '${name}'`, ns, ne));
    asm.assign(name, { start: ns, end: ne }, list[1]![0], list[1]![1], mustBeNew);
  };
}

export const DIRECTIVES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  [".text", simpleSection(".text")],
  [".data", simpleSection(".data")],
  [".bss", simpleSection(".bss")],
  [".section", sectionDirective(false)],
  [".pushsection", sectionDirective(true)],
  [".popsection", popsection],
  [".previous", previous],
  [".subsection", subsection],
  [".globl", binding("global")],
  [".global", binding("global")],
  [".local", binding("local")],
  [".weak", binding("weak")],
  [".hidden", visibility("hidden")],
  [".protected", visibility("protected")],
  [".internal", visibility("internal")],
  [".type", type],
  [".size", size],
  [".set", set(false)],
  [".equ", set(false)],
  [".equiv", set(true)],
  [".byte", data(1)],
  [".short", data(2)],
  [".word", data(2)],
  [".value", data(2)],
  [".2byte", data(2)],
  [".long", data(4)],
  [".int", data(4)],
  [".4byte", data(4)],
  [".quad", data(8)],
  [".8byte", data(8)],
  [".ascii", ascii(false)],
  [".asciz", ascii(true)],
  [".string", ascii(true)],
  [".zero", space],
  [".skip", space],
  [".space", space],
  [".fill", fill],
  [".align", align("bytes")],
  [".balign", align("bytes")],
  [".p2align", align("power")],
  [".nops", nops],
  [".org", org],
  [".comm", comm],
  [".lcomm", lcomm],
  [".file", file],
  [".ident", ident],
]);
