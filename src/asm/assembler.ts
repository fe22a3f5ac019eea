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
import { encode, FixupList, Sink } from "../x86/encode.js";
import { evaluate, isProblem, isSymbolChar, isSymbolStart, parseExpr, problem, type Expr, type ExprContext, type SyntaxProblem, type Value } from "../x86/expr.js";
import type { Instruction } from "../x86/instruction.js";
import { instructionOf, matchInstruction, ParsedInstruction, parseInstruction, PREFIX_BYTES, type OperandContext, type ParsedOperand } from "../x86/syntax.js";
import { DIRECTIVES } from "./directives.js";
import { finish } from "./layout.js";
import { InstructionLog } from "./log.js";
import { IntRows } from "./rows.js";
import { scan, type StatementList } from "./scan.js";
import { SectionState, SymbolTable, type BranchPart, type SymbolId } from "./state.js";
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

/** Where a statement's bytes went, for the listing: the fields of an `extents` row. */
export const enum Extent {
  Line,
  /** The section's `order`. */
  Section,
  Off,
  Nvar,
  EndOff,
  EndNvar,
  Width,
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
  /** Sections by `order`. */
  readonly sectionList: SectionState[] = [];
  current: SectionState;
  previous: SectionState;
  readonly sectionStack: { current: SectionState; previous: SectionState }[] = [];
  readonly symbols: SymbolTable;
  readonly diagnostics: Diagnostic[] = [];
  readonly extents = new IntRows(Extent.Width);
  /** Every emitted instruction. */
  readonly log = new InstructionLog();
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
    // Most symbols are labels; code labels roughly every other statement.
    this.symbols = new SymbolTable(this.text, this.sectionList, scanned.statements.count / 2);
    for (const p of scanned.problems) this.report(problem("PV1002", p.message, p.start, p.end));
    // GNU as always creates .text, .data and .bss, in that order.
    this.current = this.section(".text");
    this.section(".data");
    this.section(".bss");
    this.previous = this.current;
    this.ctx = {
      lookup: (name) => this.symbols.value(this.symbol(name)),
      dot: () => this.dotLabel(),
      local: (label, forward) => {
        const count = this.localCounts.get(label) ?? 0;
        if (!forward) return count === 0 ? undefined : this.localName(label, count);
        return this.localName(label, count + 1);
      },
    };
  }

  private readonly statements: StatementList;

  run(): void {
    const list = this.statements;
    for (let k = 0; k < list.count; k++) this.statement(list.start(k), list.end(k), list.line(k));
  }

  // ---- symbols and sections ----

  /** The symbol `name`, created on first mention. */
  symbol(name: string): SymbolId {
    return this.symbolAt(name, 0, name.length);
  }

  /** The symbol named text[start..end), created on first mention. */
  symbolAt(text: string, start: number, end: number): SymbolId {
    // `.L...` and the assembler's own `\u0001.` names are temporary.
    const c = text.charCodeAt(start);
    const temporary = (c === 46 && text.charCodeAt(start + 1) === 76) || (c === 1 && text.charCodeAt(start + 1) === 46);
    return this.symbols.intern(text, start, end, end - start > 1 && temporary);
  }

  section(name: string, attributes = sectionAttributesByName(name)): SectionState {
    let s = this.sections.get(name);
    if (!s) {
      s = new SectionState(name, attributes.kind, attributes.flags, this.sections.size, attributes.entsize ?? 0);
      this.sections.set(name, s);
      this.sectionList.push(s);
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
    this.symbols.place(this.symbol(name), this.current, this.current.len, this.current.parts.length);
    return name;
  }

  /** Defines the label text[start..end) at the current position. */
  defineLabel(start: number, end: number): void {
    const text = this.text;
    let id: SymbolId;
    if (isDigits(text, start, end)) {
      const label = text.slice(start, end);
      const n = (this.localCounts.get(label) ?? 0) + 1;
      this.localCounts.set(label, n);
      id = this.symbol(this.localName(label, n));
    } else id = this.symbolAt(text, start, end);
    const symbols = this.symbols;
    if (symbols.section(id) || symbols.value(id) !== undefined || symbols.alias(id)) {
      this.redefinition(symbols.name(id), id, { start, end });
      return;
    }
    symbols.place(id, this.current, this.current.len, this.current.parts.length);
    symbols.setDefinedAt(id, { start, end });
  }

  redefinition(name: string, id: SymbolId, span: Span): void {
    const previous = this.symbols.definedAt(id);
    const related = previous ? [note("PV1011", "previous definition is here", this.file, previous)] : undefined;
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

  private statement(start: number, end: number, line: number): void {
    const text = this.text;
    let pos = skipBlanks(text, start, end);
    // Labels: `name:` or `1:`, possibly several.
    for (;;) {
      if (pos >= end) return;
      const c = text.charCodeAt(pos);
      if (!isSymbolStart(c) && !(c >= 48 && c <= 57)) break;
      let p = pos + 1;
      while (p < end && isSymbolChar(text.charCodeAt(p))) p++;
      if (text.charCodeAt(p) !== 58 || p >= end) break;
      if (c >= 48 && c <= 57 && !isDigits(text, pos, p)) {
        this.report(problem("PV1002", `invalid label name '${text.slice(pos, p)}'`, pos, p));
        return;
      }
      this.defineLabel(pos, p);
      pos = skipBlanks(text, p + 1, end);
    }
    let stop = end;
    while (stop > pos && isBlank(text.charCodeAt(stop - 1))) stop--;
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
    if (this.current === section && (section.len !== off || section.parts.length !== nvar)) {
      const extents = this.extents;
      const k = extents.add();
      extents.set(k, Extent.Line, line);
      extents.set(k, Extent.Section, section.order);
      extents.set(k, Extent.Off, off);
      extents.set(k, Extent.Nvar, nvar);
      extents.set(k, Extent.EndOff, section.len);
      extents.set(k, Extent.EndNvar, section.parts.length);
    }
  }

  /** `name = expr`, `.set name, expr`, `.equ name, expr`. */
  assign(name: string, span: Span, start: number, end: number, mustBeNew = false): void {
    const v = this.value(this.text, start, end);
    if (isProblem(v)) return this.report(v);
    const id = this.symbol(name);
    const symbols = this.symbols;
    if (symbols.section(id) || (mustBeNew && (symbols.value(id) !== undefined || symbols.alias(id)))) return this.redefinition(name, id, span);
    symbols.setDefinedAt(id, span);
    if (v.plus === undefined && v.minus === undefined) symbols.assign(id, v.addend);
    else if (v.plus !== undefined && v.minus === undefined) {
      if (v.plus === name) return this.report(problem("PV1018", `symbol '${name}' is defined in terms of itself`, start, end));
      symbols.assign(id, { plus: v.plus, addend: v.addend });
    } else this.report(problem("PV1018", "a symbol may only be set to a constant or to a symbol plus a constant", start, end));
  }

  /** A symbol's name, for Instructions. */
  readonly nameOf = (symbol: SymbolId): string => this.symbols.name(symbol);

  /** The statement being assembled, its encoding and fixups: reused from one to the next. */
  private readonly parsed = new ParsedInstruction();
  private readonly encoded = new Sink();
  private readonly encodedFixups = new FixupList();

  /** Operand values fold where they stand: `.`, numeric labels and symbol values as they are here. */
  private readonly operandContext: OperandContext = {
    evaluate: (e: Expr): Value | SyntaxProblem => {
      const v = evaluate(e, this.ctx);
      if (!isProblem(v)) this.noteForwardRefs(e);
      return v;
    },
    symbolAt: (text, start, end) => this.symbolAt(text, start, end),
    valueOf: (symbol) => this.symbols.value(symbol),
  };

  /** Parses, matches and encodes one instruction statement; reports what is wrong with it. */
  private instruction(start: number, end: number): void {
    const parsed = this.parsed;
    let bad = parseInstruction(this.text, start, end, parsed);
    if (bad) return this.report(bad);
    if (parsed.mnemonic === "") return this.prefixWords(parsed, start, end);
    bad = matchInstruction(parsed, this.operandContext);
    if (bad) return this.report(bad);
    const branch = this.branchTarget(parsed);
    if (isProblem(branch)) return this.report(branch);
    if (branch && parsed.longForm) return this.relaxableBranch(parsed, branch, start, end);
    const encoded = this.encoded;
    const fixups = this.encodedFixups;
    const error = encode(parsed, 0n, encoded, fixups);
    if (error) {
      const op = error.operand !== undefined ? parsed.operands[error.operand] : undefined;
      return this.report(problem("PV1007", error.error, op ? op.start : start, op ? op.end : end));
    }
    const section = this.current;
    if (section.kind === "nobits") return this.noInstructionsIn(section, start, end);
    const off = section.len;
    const nvar = section.parts.length;
    section.append(encoded.buf, 0, encoded.len);
    for (let k = 0; k < fixups.count; k++) {
      const op = parsed.operands[fixups.operand[k]!]!;
      section.fixups.push({
        off: off + fixups.offset[k]!,
        nvar,
        size: fixups.size[k]!,
        kind: fixups.kind[k]!,
        branch: fixups.branch[k]!,
        plus: op.symbol,
        minus: op.minus,
        addend: op.bigValue() + BigInt(fixups.adjust[k]!),
        start: op.start,
        end: op.end,
      });
    }
    this.log.add(parsed, section.order, off, nvar, encoded.len, start, end);
  }

  /** Prefix words on their own (`lock` on the line before the instruction) are bytes. */
  private prefixWords(parsed: ParsedInstruction, start: number, end: number): void {
    const section = this.current;
    if (section.kind === "nobits") return this.noInstructionsIn(section, start, end);
    for (const w of parsed.prefixWords) section.append(Uint8Array.of(PREFIX_BYTES.get(w.name)!));
  }

  private noInstructionsIn(section: SectionState, start: number, end: number): void {
    this.report(problem("PV1013", `instructions cannot go in the nobits section '${section.name}'`, start, end));
  }

  /** The branch target operand of a matched statement, if it has one (it must be a symbol plus a constant). */
  private branchTarget(parsed: ParsedInstruction): ParsedOperand | SyntaxProblem | undefined {
    const types = parsed.form.operands;
    for (let i = 0; i < types.length; i++) {
      if (types[i]!.t !== "rel") continue;
      const op = parsed.operands[i]!;
      if (op.symbol < 0) return problem("PV1018", "a branch to an absolute address is not supported; branch to a symbol", op.start, op.end);
      if (op.minus >= 0) return problem("PV1018", "a branch target cannot subtract a symbol", op.start, op.end);
      return op;
    }
    return undefined;
  }

  /** A jmp/jcc whose rel8 or rel32 form layout chooses. */
  private relaxableBranch(parsed: ParsedInstruction, target: ParsedOperand, start: number, end: number): void {
    const short = instructionOf(parsed, this.nameOf);
    const long: Instruction = { ...short, form: parsed.longForm! };
    const shortSize = this.encodedLength(parsed);
    parsed.form = parsed.longForm!;
    const longSize = this.encodedLength(parsed);
    const section = this.current;
    if (section.kind === "nobits") return this.noInstructionsIn(section, start, end);
    const off = section.len;
    const addend = target.bigValue();
    const part: BranchPart = { kind: "branch", at: off, short, long, target: target.symbol, addend, span: { start, end }, shortSize, longSize, size: shortSize, isLong: false };
    section.parts.push(part);
    parsed.form = short.form;
    this.log.add(parsed, section.order, off, section.parts.length - 1, -1, start, end);
  }

  private encodedLength(parsed: ParsedInstruction): number {
    const error = encode(parsed, 0n, this.encoded, this.encodedFixups);
    if (error) throw new Error(`branch form did not encode: ${error.error}`);
    return this.encoded.len;
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** The first position at or after `pos` (before `end`) that is not a blank. */
function skipBlanks(text: string, pos: number, end: number): number {
  while (pos < end && isBlank(text.charCodeAt(pos))) pos++;
  return pos;
}

/** True for a numeric local label name (`1`, `42`) in text[start..end). */
function isDigits(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return end > start;
}
