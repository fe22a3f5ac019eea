/**
 * The AT&T assembler: GNU as 2.40 (`--64`) source in, an Image out, with the bytes, symbols and
 * relocations as would produce for the same text. One pass reads the statements (labels,
 * directives, instructions) into sections of fixed bytes, relaxable branches and alignment
 * padding; layout.ts then relaxes branches to a fixed point, resolves what can be resolved
 * inside a section and turns the rest into relocations, exactly where as does.
 *
 * A bad statement yields a Diagnostic (with the span of the offending operand) and assembly
 * goes on with the next one, so one run reports every error.
 */
import { error, note, type Diagnostic, type SourceFile, type Span } from "../diag/diagnostic.js";
import type { Image } from "../image/image.js";
import { isEncodeError, encodeToSink, type Fixup } from "../x86/encode.js";
import { evaluate, isProblem, isSymbolChar, isSymbolStart, parseExpr, problem, type Expr, type ExprContext, type SyntaxProblem, type Value } from "../x86/expr.js";
import type { Instruction } from "../x86/instruction.js";
import { matchInstruction, parseInstruction, PREFIX_BYTES, type SymbolTerm } from "../x86/syntax.js";
import { DIRECTIVES } from "./directives.js";
import { finish } from "./layout.js";
import { scan, type Statement } from "./scan.js";
import { SectionState, type BranchPart, type SymbolState } from "./state.js";
import { sectionAttributesByName } from "./sections.js";

export interface AssembleOptions {
  /** Assemble only this range of the file (a .pvop body); diagnostics stay in the file's coordinates. */
  range?: Span;
  /** Extra line-comment markers (the .pvop language allows `//` in bodies). */
  lineComments?: readonly string[];
}

export interface ListingLine {
  /** 1-based source line. */
  line: number;
  section: string;
  /** Offset of the line's first byte in its section. */
  offset: number;
  bytes: Uint8Array;
  /** The source text of the line. */
  source: string;
}

export interface AssembledInstruction {
  instruction: Instruction;
  section: string;
  offset: number;
  length: number;
  span: Span;
}

export interface AssembleResult {
  /** Sections (bytes, relocations) and symbols, as GNU as would produce for the same text. */
  image: Image;
  /** Errors carry the statement/operand span; assembly continues after a bad statement. */
  diagnostics: Diagnostic[];
  listing: ListingLine[];
  /** Every emitted instruction (the language checker analyses these). */
  instructions: AssembledInstruction[];
}

/** Where a statement's bytes went, for the listing. */
export interface StatementExtent {
  readonly line: number;
  readonly section: SectionState;
  readonly off: number;
  readonly nvar: number;
  readonly endOff: number;
  readonly endNvar: number;
}

export interface InstructionRecord {
  readonly instruction: Instruction;
  readonly section: SectionState;
  readonly off: number;
  readonly nvar: number;
  readonly length: number;
  readonly span: Span;
  /** Set for a relaxable branch; its final form is known after layout. */
  readonly branch?: BranchPart;
}

const LOCAL_SEPARATOR = "\u0002";
const DOT_PREFIX = "\u0001.";

export function assemble(file: SourceFile, options: AssembleOptions = {}): AssembleResult {
  const asm = new Assembler(file, options);
  asm.run();
  return finish(asm);
}

export class Assembler {
  readonly text: string;
  readonly sections = new Map<string, SectionState>();
  current: SectionState;
  previous: SectionState;
  readonly sectionStack: { current: SectionState; previous: SectionState }[] = [];
  readonly symbols = new Map<string, SymbolState>();
  readonly diagnostics: Diagnostic[] = [];
  readonly extents: StatementExtent[] = [];
  readonly instructionRecords: InstructionRecord[] = [];
  /** Forward numeric label references (`1f`) that must find a definition by the end. */
  readonly forwardRefs: { name: string; label: string; span: Span }[] = [];
  private readonly localCounts = new Map<string, number>();
  private dotCount = 0;
  readonly ctx: ExprContext;

  constructor(
    readonly file: SourceFile,
    readonly options: AssembleOptions,
  ) {
    const range = options.range ?? { start: 0, end: file.text.length };
    const scanned = scan(file.text, range.start, range.end, file.position(range.start).line, options.lineComments);
    this.text = scanned.clean;
    this.statements = scanned.statements;
    for (const p of scanned.problems) this.report(problem("PV1002", p.message, p.start, p.end));
    // GNU as always creates .text, .data and .bss, in that order.
    this.current = this.section(".text");
    this.section(".data");
    this.section(".bss");
    this.previous = this.current;
    this.ctx = {
      lookup: (name) => {
        const s = this.symbol(name);
        if (s.abs !== undefined) this.volatile = true;
        return s.abs;
      },
      dot: () => {
        this.volatile = true;
        return this.dotLabel();
      },
      local: (label, forward) => {
        this.volatile = true;
        const count = this.localCounts.get(label) ?? 0;
        if (!forward) return count === 0 ? undefined : this.localName(label, count);
        return this.localName(label, count + 1);
      },
    };
  }

  private readonly statements: Statement[];

  run(): void {
    for (const s of this.statements) this.statement(s);
  }

  // ---- symbols and sections ----

  symbol(name: string): SymbolState {
    let s = this.symbols.get(name);
    if (!s) {
      const temporary = name.startsWith(".L") || name.startsWith(DOT_PREFIX);
      // Every field up front: one object shape for all symbols keeps the hot lookups monomorphic.
      s = {
        name,
        order: this.symbols.size,
        temporary,
        section: undefined,
        off: undefined,
        nvar: undefined,
        abs: undefined,
        alias: undefined,
        binding: undefined,
        type: undefined,
        visibility: undefined,
        size: undefined,
        defined: undefined,
      };
      this.symbols.set(name, s);
    }
    return s;
  }

  section(name: string, attributes = sectionAttributesByName(name)): SectionState {
    let s = this.sections.get(name);
    if (!s) {
      s = new SectionState(name, attributes.kind, attributes.flags, this.sections.size, attributes.entsize ?? 0);
      this.sections.set(name, s);
    }
    return s;
  }

  switchTo(section: SectionState): void {
    if (section !== this.current) {
      this.previous = this.current;
      this.current = section;
    }
  }

  private localName(label: string, n: number): string {
    return `.L${label}${LOCAL_SEPARATOR}${n}`;
  }

  /** A temporary label at the current position, standing for `.`. */
  dotLabel(): string {
    const name = `${DOT_PREFIX}${this.dotCount++}`;
    const s = this.symbol(name);
    s.section = this.current;
    s.off = this.current.len;
    s.nvar = this.current.parts.length;
    return name;
  }

  defineLabel(name: string, span: Span): void {
    if (/^[0-9]+$/.test(name)) {
      const n = (this.localCounts.get(name) ?? 0) + 1;
      this.localCounts.set(name, n);
      name = this.localName(name, n);
    }
    const s = this.symbol(name);
    if (s.section || s.abs !== undefined || s.alias) {
      this.redefinition(name, s, span);
      return;
    }
    s.section = this.current;
    s.off = this.current.len;
    s.nvar = this.current.parts.length;
    s.defined = span;
  }

  redefinition(name: string, s: SymbolState, span: Span): void {
    const related = s.defined ? [note("PV1011", "previous definition is here", this.file, s.defined)] : undefined;
    this.diagnostics.push(error("PV1011", `symbol '${name}' is already defined`, this.file, span, related));
  }

  /** Numeric label names show as written (`1`), not as their internal `.L1^B2` form. */
  displayName(name: string): string {
    const sep = name.indexOf(LOCAL_SEPARATOR);
    return sep > 0 ? name.slice(2, sep) : name;
  }

  report(p: SyntaxProblem): void {
    this.diagnostics.push(error(p.code, p.message, this.file, { start: p.start, end: Math.max(p.end, p.start) }));
  }

  /** Folds an expression at the current position. */
  value(text: string, start: number, end: number): Value | SyntaxProblem {
    const e = parseExpr(text, start, end);
    if (isProblem(e)) return e;
    const v = evaluate(e, this.ctx);
    if (!isProblem(v)) this.noteForwardRefs(e);
    return v;
  }

  noteForwardRefs(e: Expr): void {
    switch (e.k) {
      case "local":
        if (e.forward) this.forwardRefs.push({ name: this.ctx.local(e.label, true)!, label: e.label, span: { start: e.start, end: e.end } });
        return;
      case "un":
        this.noteForwardRefs(e.e);
        return;
      case "bin":
        this.noteForwardRefs(e.l);
        this.noteForwardRefs(e.r);
        return;
      default:
        return;
    }
  }

  // ---- statements ----

  private statement(s: Statement): void {
    const text = this.text;
    let pos = s.start;
    const end = s.end;
    const skip = () => {
      while (pos < end && (text.charCodeAt(pos) === 32 || text.charCodeAt(pos) === 9 || text.charCodeAt(pos) === 13)) pos++;
    };
    skip();
    // Labels: `name:` or `1:`, possibly several.
    for (;;) {
      if (pos >= end) return;
      const c = text.charCodeAt(pos);
      if (!isSymbolStart(c) && !(c >= 48 && c <= 57)) break;
      let p = pos + 1;
      while (p < end && isSymbolChar(text.charCodeAt(p))) p++;
      if (text.charCodeAt(p) !== 58 || p >= end) break;
      const name = text.slice(pos, p);
      if (c >= 48 && c <= 57 && !/^[0-9]+$/.test(name)) {
        this.report(problem("PV1002", `invalid label name '${name}'`, pos, p));
        return;
      }
      this.defineLabel(name, { start: pos, end: p });
      pos = p + 1;
      skip();
    }
    let stop = end;
    while (stop > pos && (text.charCodeAt(stop - 1) === 32 || text.charCodeAt(stop - 1) === 9 || text.charCodeAt(stop - 1) === 13)) stop--;
    const section = this.current;
    const off = section.len;
    const nvar = section.parts.length;
    const c = text.charCodeAt(pos);
    let wordEnd = pos + 1;
    while (wordEnd < stop && isSymbolChar(text.charCodeAt(wordEnd))) wordEnd++;
    let q = wordEnd;
    while (q < stop && (text.charCodeAt(q) === 32 || text.charCodeAt(q) === 9)) q++;
    if (isSymbolStart(c) && text.charCodeAt(q) === 61 && text.charCodeAt(q + 1) !== 61) {
      this.assign(text.slice(pos, wordEnd), { start: pos, end: wordEnd }, q + 1, stop);
    } else if (c === 46 && wordEnd > pos + 1) {
      const name = text.slice(pos, wordEnd).toLowerCase();
      const handler = DIRECTIVES.get(name);
      if (!handler) this.report(problem("PV1012", `unknown directive '${name}'`, pos, wordEnd));
      else handler(this, { name, start: pos, end: wordEnd, argsStart: q, argsEnd: stop });
    } else this.instruction(pos, stop);
    if (this.current === section && (section.len !== off || section.parts.length !== nvar))
      this.extents.push({ line: s.line, section, off, nvar, endOff: section.len, endNvar: section.parts.length });
  }

  /** `name = expr`, `.set name, expr`, `.equ name, expr`. */
  assign(name: string, span: Span, start: number, end: number, mustBeNew = false): void {
    this.prepared.clear();
    const v = this.value(this.text, start, end);
    if (isProblem(v)) return this.report(v);
    const s = this.symbol(name);
    if (s.section || (mustBeNew && (s.abs !== undefined || s.alias))) return this.redefinition(name, s, span);
    s.defined = span;
    if (v.plus === undefined && v.minus === undefined) {
      s.abs = v.addend;
      s.alias = undefined;
    } else if (v.plus !== undefined && v.minus === undefined) {
      if (v.plus === name) return this.report(problem("PV1018", `symbol '${name}' is defined in terms of itself`, start, end));
      s.alias = { plus: v.plus, addend: v.addend };
      s.abs = undefined;
    } else this.report(problem("PV1018", "a symbol may only be set to a constant or to a symbol plus a constant", start, end));
  }

  /**
   * Assembled statements by their text, reused when the same text comes again. Only results
   * that cannot depend on where they stand are kept: no `.`, no numeric label, no absolute
   * symbol value (an assignment clears the cache, since it can make a name absolute).
   */
  private readonly prepared = new Map<string, Prepared>();
  /** Set while matching when the result depends on the position or on symbol values. */
  private volatile = false;

  private readonly evaluateOperand = (e: Expr): Value | SyntaxProblem => {
    const v = evaluate(e, this.ctx);
    if (!isProblem(v)) this.noteForwardRefs(e);
    return v;
  };

  private instruction(start: number, end: number): void {
    const key = this.text.slice(start, end);
    let prepared = this.prepared.get(key);
    if (!prepared) {
      this.volatile = false;
      prepared = this.prepare(start, end);
      if (!prepared) return;
      if (!this.volatile) this.prepared.set(key, prepared);
    }
    const section = this.current;
    if (section.kind === "nobits") return this.report(problem("PV1013", `instructions cannot go in the nobits section '${section.name}'`, start, end));
    const span = { start, end };
    const b = prepared.branch;
    if (b) {
      const part: BranchPart = { kind: "branch", at: section.len, short: prepared.instruction!, long: b.long, target: b.target, addend: b.addend, span, shortSize: b.shortSize, longSize: b.longSize, size: b.shortSize, isLong: false };
      section.parts.push(part);
      this.instructionRecords.push({ instruction: prepared.instruction!, section, off: section.len, nvar: section.parts.length - 1, length: 0, span, branch: part });
      return;
    }
    const off = section.len;
    const nvar = section.parts.length;
    section.append(prepared.bytes);
    for (const f of prepared.fixups) this.addFixup(section, off + f.fixup.offset, nvar, f.fixup, { start: start + f.start, end: start + f.end });
    if (prepared.instruction) this.instructionRecords.push({ instruction: prepared.instruction, section, off, nvar, length: prepared.bytes.length, span });
  }

  /** Parses, matches and encodes one instruction statement; reports and returns undefined on error. */
  private prepare(start: number, end: number): Prepared | undefined {
    const parsed = parseInstruction(this.text, start, end);
    if (isProblem(parsed)) return void this.report(parsed);
    if (parsed.mnemonic === "") {
      // Prefix words on their own (`lock` on the line before the instruction) are bytes.
      const bytes = Uint8Array.from(parsed.prefixes, (p) => PREFIX_BYTES.get(p.name)!);
      return { instruction: undefined, bytes, fixups: [] };
    }
    const matched = matchInstruction(parsed, this.evaluateOperand);
    if (isProblem(matched)) return void this.report(matched);
    const inst = matched.instruction;
    const relIndex = inst.operands.findIndex((o) => o.kind === "rel");
    const rel = inst.operands[relIndex];
    if (rel?.kind === "rel") {
      const op = parsed.operands[relIndex]!;
      if (!rel.symbol) return void this.report(problem("PV1018", "a branch to an absolute address is not supported; branch to a symbol", op.start, op.end));
      if ((rel.symbol as SymbolTerm).minus !== undefined) return void this.report(problem("PV1018", "a branch target cannot subtract a symbol", op.start, op.end));
      if (matched.longForm) {
        const long: Instruction = { ...inst, form: matched.longForm };
        const branch = { long, target: rel.symbol.name, addend: rel.target, shortSize: this.encodedLength(inst), longSize: this.encodedLength(long) };
        return { instruction: inst, branch, bytes: EMPTY, fixups: [] };
      }
    }
    const fixups: Fixup[] = [];
    const enc = encodeToSink(inst, 0n, fixups);
    if (isEncodeError(enc)) {
      const op = enc.operand !== undefined ? parsed.operands[enc.operand] : undefined;
      return void this.report(problem("PV1007", enc.error, op ? op.start : start, op ? op.end : end));
    }
    return {
      instruction: inst,
      bytes: enc.bytes.slice(0, enc.length),
      fixups: fixups.map((fixup) => {
        const op = parsed.operands[fixup.operand];
        return { fixup, start: (op ? op.start : start) - start, end: (op ? op.end : end) - start };
      }),
    };
  }

  private encodedLength(inst: Instruction): number {
    const enc = encodeToSink(inst, 0n, []);
    if (isEncodeError(enc)) throw new Error(`branch form did not encode: ${enc.error}`);
    return enc.length;
  }

  addFixup(section: SectionState, off: number, nvar: number, f: Fixup, span: Span): void {
    section.fixups.push({
      off,
      nvar,
      size: f.size,
      kind: f.kind,
      plus: f.symbol.name,
      minus: (f.symbol as SymbolTerm).minus,
      addend: f.addend,
      branch: f.branch,
      span,
    });
  }
}

const EMPTY = new Uint8Array(0);

/** One instruction statement, ready to emit anywhere (see Assembler.prepared). */
interface Prepared {
  /** Undefined for a statement of prefix words only. */
  readonly instruction: Instruction | undefined;
  /** Set for a relaxable branch, whose bytes are chosen at layout. */
  readonly branch?: { readonly long: Instruction; readonly target: string; readonly addend: bigint; readonly shortSize: number; readonly longSize: number };
  readonly bytes: Uint8Array;
  /** Fixups with their operand's span, relative to the statement's start. */
  readonly fixups: readonly { readonly fixup: Fixup; readonly start: number; readonly end: number }[];
}
