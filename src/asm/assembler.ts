/**
 * The AT&T assembler: GNU as 2.40 (`--64`) source in, an Image out, with the bytes, symbols and
 * relocations as would produce for the same text. One pass reads the statements (labels,
 * directives, instructions) into sections of fixed bytes, relaxable branches and alignment
 * padding; layout.ts then relaxes branches to a fixed point, resolves what can be resolved
 * inside a section and turns the rest into relocations, exactly where as does.
 *
 * An instruction statement is parsed, matched and encoded once per text (prepared.ts) and
 * emitted from there wherever the text comes again; what every statement emitted is logged as
 * rows (log.ts), from which the listing and the instruction list are built when they are read.
 *
 * A bad statement yields a Diagnostic (with the span of the offending operand) and assembly
 * goes on with the next one, so one run reports every error.
 */
import { error, note, type Diagnostic, type SourceFile, type Span } from "../diag/diagnostic.js";
import type { Image } from "../image/image.js";
import { encode, FixupList, NO_PREFIXES, Sink, SlotKind } from "../x86/encode.js";
import { evaluate, isProblem, isSymbolChar, isSymbolStart, operatorOf, parseExpr, problem, type Expr, type ExprContext, type SyntaxProblem, type Value } from "../x86/expr.js";
import type { Instruction } from "../x86/instruction.js";
import { GOT_SYMBOL, GOTPCREL_OPERATOR, NO_OPERATOR, operatorName, operatorNeedsGot, PLT_OPERATOR, TLSCALL_OPERATOR } from "../x86/reloc-operators.js";
import { matchInstruction, ParsedInstruction, parseInstruction, PREFIX_BYTES, WordTable, type OperandContext, type ParsedOperand } from "../x86/syntax.js";
import { CallFrames, CFI_DIRECTIVES } from "./cfi.js";
import { DIRECTIVES } from "./directives.js";
import { finish } from "./layout.js";
import { StatementLog } from "./log.js";
import { PreparedStatements } from "./prepared.js";
import { ArrayArena } from "./rows.js";
import { scan, type StatementList } from "./scan.js";
import { addExact, FIXUP_DISPLACEMENT, FIXUP_FIELD_OFFSET_SHIFT, FIXUP_RELAXABLE_GOT, FIXUP_REX, SectionState, SymbolTable, type SymbolId } from "./state.js";
import { sectionAttributesByName } from "./sections.js";
import type { Form } from "../x86/table.js";

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

/**
 * What as puts in its symbol list besides the symbols, each standing before symbol `before`:
 * the symbol of each section where as creates it (written if a relocation points at the
 * section), `.file` symbols, and the temporary labels as turns into full symbols while reading
 * the source (written if a relocation keeps the label; as adds the other kept labels when it
 * writes relocations, after every symbol). as converts a label early when a memory operand's
 * displacement names a label it already knows (defined, or referenced before), which includes
 * every label of a `movq` with general registers, whose operands as reads twice (first for the
 * SSE movq, then as mov with a q suffix). Immediates and data never do.
 */
export type MadeSymbol =
  | { readonly type: "section"; readonly name: string; readonly before: SymbolId }
  | { readonly type: "file"; readonly name: string; readonly before: SymbolId }
  | { readonly type: "label"; readonly id: SymbolId; readonly before: SymbolId };

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
  /** Where the stores below get their typed arrays (given back when the result no longer needs them). */
  readonly arena = new ArrayArena();
  /** What every statement emitted, for the listing and the instruction list. */
  readonly log = new StatementLog(this.arena);
  /** What as's symbol list holds besides the symbols (see MadeSymbol), in order. */
  readonly madeSymbols: MadeSymbol[] = [];
  /** Whether `.ident` made .comment its string section yet (as starts it with a NUL then). */
  commentStarted = false;
  /** Forward numeric label references (`1f`) that must find a definition by the end. */
  readonly forwardRefs: { name: string; label: string; span: Span }[] = [];
  /** The `.cfi_*` frames, written to .eh_frame and .debug_frame after layout. */
  readonly frames = new CallFrames();
  /** The temporary labels as turns into full symbols while reading the source (see MadeSymbol). */
  readonly earlyLabels = new Set<SymbolId>();
  private readonly localCounts = new Map<string, number>();
  private dotCount = 0;
  readonly ctx: ExprContext;

  constructor(
    readonly file: SourceFile,
    readonly options: AssembleOptions,
  ) {
    const range = options.range ?? { start: 0, end: file.text.length };
    const scanned = scan(file.text, range.start, range.end, file.position(range.start).line, this.arena, options.lineComments);
    this.text = scanned.clean;
    this.statements = scanned.statements;
    // Most symbols are labels; code labels roughly every other statement.
    this.symbols = new SymbolTable(this.text, this.sectionList, scanned.statements.count / 2, this.arena);
    // A large file's instructions are about half its statements, and half of those repeat.
    this.prepared = new PreparedStatements(this.text, scanned.statements.count / 4, this.arena);
    for (const p of scanned.problems) this.report(problem("PV1002", p.message, p.start, p.end));
    // GNU as always creates .text, .data and .bss, in that order.
    this.current = this.section(".text");
    this.section(".data");
    this.section(".bss");
    this.previous = this.current;
    this.ctx = {
      lookup: (name) => {
        const value = this.symbols.value(this.symbol(name));
        if (value !== undefined) this.placeBound = true;
        return value;
      },
      dot: () => {
        this.placeBound = true;
        return this.dotLabel();
      },
      local: (label, forward) => {
        this.placeBound = true;
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
      s = new SectionState(name, attributes.kind, attributes.flags, this.sectionList.length, attributes.entsize ?? 0, this.arena);
      this.sections.set(name, s);
      this.sectionList.push(s);
      this.madeSymbols.push({ name, type: "section", before: this.symbols.count });
    }
    return s;
  }

  /** `.file "name"`: as moves the first file symbol to the head of its symbol list and leaves the others where they are made. */
  fileSymbol(name: string): void {
    if (this.madeSymbols.some((m) => m.type === "file")) this.madeSymbols.push({ name, type: "file", before: this.symbols.count });
    else this.madeSymbols.unshift({ name, type: "file", before: 0 });
  }

  /** Subsection `n` of `section` (0: the section itself), made on first use. */
  subsection(section: SectionState, n: number): SectionState {
    const home = section.home;
    if (n === 0) return home;
    let s = home.subsections.get(n);
    if (!s) {
      s = new SectionState(home.name, home.kind, home.flags, this.sectionList.length, home.entsize, this.arena, home);
      home.subsections.set(n, s);
      this.sectionList.push(s);
    }
    return s;
  }

  /** A section directive: what `.previous` returns to is the section before it, even the same one (obj-elf.c obj_elf_section_change_hook). */
  switchTo(section: SectionState): void {
    this.previous = this.current;
    this.current = section;
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
    if (symbols.defined(id)) {
      this.redefinition(symbols.name(id), id, { start, end });
      return;
    }
    symbols.place(id, this.current, this.current.len, this.current.parts.length);
    symbols.setDefinedAt(id, start, end);
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

  /** Folds an expression at the current position; as takes relocation operators only where relocatableValue reads. */
  value(text: string, start: number, end: number): Value | SyntaxProblem {
    const e = parseExpr(text, start, end);
    if (isProblem(e)) return e;
    if (operatorOf(e) !== NO_OPERATOR) return problem("PV1002", "junk at end of line: a relocation operator is not allowed here", e.start, e.end);
    return this.fold(e);
  }

  /** Folds the expression of a `.long` or `.quad` item, which may carry a relocation operator. */
  relocatableValue(text: string, start: number, end: number): Value | SyntaxProblem {
    const e = parseExpr(text, start, end);
    if (isProblem(e)) return e;
    // as creates the GOT symbol when it reads the operator, before the symbols of the value.
    if (operatorNeedsGot(operatorOf(e))) this.symbol(GOT_SYMBOL);
    return this.fold(e);
  }

  private fold(e: Expr): Value | SyntaxProblem {
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
    // Labels: `name:` or `1:`, possibly several; then the statement's first word.
    let wordEnd: number;
    for (;;) {
      if (pos >= end) return;
      const c = text.charCodeAt(pos);
      wordEnd = pos + 1;
      if (!isSymbolStart(c) && !(c >= 48 && c <= 57)) break;
      while (wordEnd < end && isSymbolChar(text.charCodeAt(wordEnd))) wordEnd++;
      if (text.charCodeAt(wordEnd) !== 58 || wordEnd >= end) break;
      if (c >= 48 && c <= 57 && !isDigits(text, pos, wordEnd)) {
        this.report(problem("PV1002", `invalid label name '${text.slice(pos, wordEnd)}'`, pos, wordEnd));
        return;
      }
      this.defineLabel(pos, wordEnd);
      pos = skipBlanks(text, wordEnd + 1, end);
    }
    let stop = end;
    while (stop > pos && isBlank(text.charCodeAt(stop - 1))) stop--;
    const section = this.current;
    const off = section.len;
    const nvar = section.parts.length;
    const c = text.charCodeAt(pos);
    let q = wordEnd;
    while (q < stop && (text.charCodeAt(q) === 32 || text.charCodeAt(q) === 9)) q++;
    if (isSymbolStart(c) && text.charCodeAt(q) === 61 && text.charCodeAt(q + 1) !== 61) {
      this.assign(text.slice(pos, wordEnd), { start: pos, end: wordEnd }, q + 1, stop);
    } else if (c === 46 && wordEnd > pos + 1) {
      const directive = DIRECTIVE_NAMES.read(text, pos, wordEnd);
      if (!directive || DIRECTIVE_NAMES.end !== wordEnd) this.report(problem("PV1012", `unknown directive '${text.slice(pos, wordEnd).toLowerCase()}'`, pos, wordEnd));
      else directive.handler(this, { name: directive.name, start: pos, end: wordEnd, argsStart: q, argsEnd: stop });
    } else return this.logged(line, section, off, nvar, this.instruction(pos, stop), pos, stop);
    this.logged(line, section, off, nvar, -1, pos, stop);
  }

  /** Logs what the statement at line emitted from off/nvar of `section`, if anything. */
  private logged(line: number, section: SectionState, off: number, nvar: number, instruction: number, start: number, end: number): void {
    if (this.current === section && (section.len !== off || section.parts.length !== nvar))
      this.log.add(line, section.order, off, nvar, section.len, section.parts.length, instruction, start, end);
  }

  /** `name = expr`, `.set name, expr`, `.equ name, expr`. */
  assign(name: string, span: Span, start: number, end: number, mustBeNew = false): void {
    // A symbol with a value changes what statements that mention it assemble to.
    this.prepared.forgetAll();
    // as makes the symbol before it reads the expression, which matters to the symbol order.
    const id = this.symbol(name);
    const v = this.value(this.text, start, end);
    if (isProblem(v)) return this.report(v);
    const symbols = this.symbols;
    if (symbols.section(id) || (mustBeNew && (symbols.value(id) !== undefined || symbols.alias(id)))) return this.redefinition(name, id, span);
    symbols.setDefinedAt(id, span.start, span.end);
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
    valueOf: (symbol) => {
      const value = this.symbols.value(symbol);
      if (value !== undefined) this.placeBound = true;
      return value;
    },
  };

  /** Instruction statements assembled so far, found again by their text. */
  readonly prepared: PreparedStatements;
  /** Set while preparing a statement whose result depends on where it stands or on symbol values. */
  private placeBound = false;

  /**
   * Assembles one instruction statement: prepares it (parse, match, encode) unless the same text
   * was, and emits it. Reports what is wrong with it; the prepared statement, or -1 when no
   * instruction was emitted.
   */
  private instruction(start: number, end: number): number {
    const known = this.symbols.count;
    let k = this.prepared.find(start, end);
    if (k < 0) {
      this.placeBound = false;
      k = this.prepare(start, end);
      if (k < 0) return -1;
      if (!this.placeBound) this.prepared.remember(k);
    }
    this.noteEarlyLabels(k, isGprMovq(this.text, start, this.prepared.form(k)) ? this.symbols.count : known);
    return this.emit(k, start, end);
  }

  /** Adds the temporary labels below id `known` that statement k's displacements name to madeSymbols (see MadeSymbol). */
  private noteEarlyLabels(k: number, known: number): void {
    const fixups = this.prepared.fixups;
    const first = this.prepared.firstFixup(k);
    const last = first + this.prepared.fixupCount(k);
    for (let f = first; f < last; f++) {
      if (!(fixups.relocation(f) & FIXUP_DISPLACEMENT)) continue;
      this.noteEarlyLabel(fixups.plus(f), known);
      this.noteEarlyLabel(fixups.minus(f), known);
    }
  }

  private noteEarlyLabel(id: SymbolId, known: number): void {
    if (id < 0 || id >= known || !this.symbols.temporary(id) || this.earlyLabels.has(id)) return;
    this.earlyLabels.add(id);
    this.madeSymbols.push({ type: "label", id, before: this.symbols.count });
  }

  /** Parses, matches and encodes an instruction statement; the prepared statement, or -1 after reporting why not. */
  private prepare(start: number, end: number): number {
    const parsed = this.parsed;
    const prepared = this.prepared;
    let bad = parseInstruction(this.text, start, end, parsed);
    if (bad) return this.failed(bad);
    if (parsed.mnemonic === "") {
      // Prefix words on their own (`lock` on the line before the instruction) are bytes.
      const k = prepared.add(undefined, undefined, NO_PREFIXES, parsed.operands, 0);
      const bytes = Uint8Array.from(parsed.prefixWords.slice(0, parsed.prefixCount), (w) => PREFIX_BYTES.get(w.name)!);
      prepared.setBytes(k, bytes, bytes.length);
      return k;
    }
    bad = matchInstruction(parsed, this.operandContext);
    if (bad) return this.failed(bad);
    const branch = this.branchTarget(parsed);
    if (isProblem(branch)) return this.failed(branch);
    if (branch && parsed.longForm && branch.operator !== NO_OPERATOR && branch.operator !== PLT_OPERATOR)
      return this.failed(problem("PV1020", `@${operatorName(branch.operator)} on a jump target is not supported`, branch.start, branch.end));
    if (branch && parsed.longForm) {
      const short = parsed.form;
      const long = parsed.longForm;
      const sizes = { long, shortSize: this.branchSize(parsed, short), longSize: this.branchSize(parsed, long), viaPlt: branch.operator === PLT_OPERATOR };
      parsed.form = short;
      return prepared.add(short, sizes, parsed.prefixes, parsed.operands, parsed.count);
    }
    const tlsCall = tlsCallOperand(parsed);
    if (isProblem(tlsCall)) return this.failed(tlsCall);
    // The operator's relocation marks the instruction; the operand keeps only its register.
    const tlsCallSymbol = tlsCall ? tlsCall.symbol : -1;
    if (tlsCall) tlsCall.symbol = -1;
    const encoded = this.encoded;
    const fixups = this.encodedFixups;
    const error = encode(parsed, 0n, encoded, fixups);
    if (error) {
      const op = error.operand !== undefined ? parsed.operands[error.operand] : undefined;
      return this.failed(problem("PV1007", error.error, op ? op.start : start, op ? op.end : end));
    }
    const k = prepared.add(parsed.form, undefined, parsed.prefixes, parsed.operands, parsed.count);
    prepared.setBytes(k, encoded.buf, encoded.len);
    for (let f = 0; f < fixups.count; f++) {
      const op = parsed.operands[fixups.operand[f]!]!;
      const offset = fixups.offset[f]!;
      let addend = addExact(op.wide ?? op.value, fixups.adjust[f]!);
      // as counts an immediate _GLOBAL_OFFSET_TABLE_ from the instruction's start (output_imm).
      if (op.kind === SlotKind.Immediate && op.operator === NO_OPERATOR && op.minus < 0 && this.symbols.name(op.symbol) === GOT_SYMBOL) addend = addExact(addend, offset);
      const relaxation = op.operator === GOTPCREL_OPERATOR ? gotRelaxation(parsed.form, op, parsed.prefixes.data16 !== undefined, encoded.rex) : 0;
      const relocation = op.operator | relaxation | (op.kind === SlotKind.Memory ? FIXUP_DISPLACEMENT : 0) | (offset << FIXUP_FIELD_OFFSET_SHIFT);
      prepared.addFixup(k, offset, fixups.size[f]!, fixups.kind[f]!, fixups.branch[f]!, op.symbol, op.minus, addend, op.start - start, op.end - start, relocation);
    }
    if (tlsCall) prepared.addFixup(k, 0, 0, "unsigned", false, tlsCallSymbol, -1, 0, tlsCall.start - start, tlsCall.end - start, TLSCALL_OPERATOR);
    return k;
  }

  /** Emits prepared statement k for the statement text[start..end); k, or -1 when it is not an instruction or cannot go here. */
  private emit(k: number, start: number, end: number): number {
    const prepared = this.prepared;
    const section = this.current;
    if (section.kind === "nobits") return this.failed(problem("PV1013", `instructions cannot go in the nobits section '${section.name}'`, start, end));
    const off = section.len;
    const nvar = section.parts.length;
    const long = prepared.longForm(k);
    if (long) {
      const shortSize = prepared.shortSize(k);
      section.parts.push({
        kind: "branch",
        at: off,
        short: prepared.form(k)!,
        long,
        prefixes: prepared.prefixesOf(k),
        target: prepared.symbol(k, 0),
        addend: prepared.value(k, 0),
        start,
        end,
        shortSize,
        longSize: prepared.longSize(k),
        viaPlt: prepared.viaPlt(k),
        size: shortSize,
        isLong: false,
        encodedAs: undefined,
      });
      return k;
    }
    section.reserve(prepared.bytesLengthOf(k));
    section.len += prepared.copyBytes(k, section.buf, section.len);
    const first = prepared.firstFixup(k);
    const last = first + prepared.fixupCount(k);
    for (let f = first; f < last; f++) section.fixups.addMoved(prepared.fixups, f, off, nvar, start);
    return prepared.isInstruction(k) ? k : -1;
  }

  private failed(p: SyntaxProblem): -1 {
    this.report(p);
    return -1;
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

  /** Lengths of branch forms to a symbol, which depend on nothing else when there are no prefixes. */
  private readonly branchSizes = new Map<Form, number>();

  /** The length of the branch `parsed` in `form`. */
  private branchSize(parsed: ParsedInstruction, form: Form): number {
    const known = parsed.prefixes === NO_PREFIXES ? this.branchSizes.get(form) : undefined;
    if (known !== undefined) return known;
    parsed.form = form;
    const error = encode(parsed, 0n, this.encoded, this.encodedFixups);
    if (error) throw new Error(`branch form did not encode: ${error.error}`);
    if (parsed.prefixes === NO_PREFIXES) this.branchSizes.set(form, this.encoded.len);
    return this.encoded.len;
  }
}


/** Whether the statement at text[start..) is `movq` matched to a mov form (general registers, not SSE or MMX). */
function isGprMovq(text: string, start: number, form: Form | undefined): boolean {
  return form?.mnemonic === "mov" && text.startsWith("movq", start) && !isSymbolChar(text.charCodeAt(start + 4));
}

/**
 * The operand `sym@TLSCALL(%reg)` of `call *`, which as encodes as `call *(%reg)` with an
 * R_X86_64_TLSDESC_CALL at the instruction; undefined when there is none. Other uses of the
 * operator are left to layout, which refuses their fields as as does. With %rbp or %r13 as
 * base, whose ModRM form without a displacement means rip-relative, as writes broken bytes;
 * pvopc refuses it.
 */
function tlsCallOperand(parsed: ParsedInstruction): ParsedOperand | SyntaxProblem | undefined {
  for (let i = 0; i < parsed.count; i++) {
    const op = parsed.operands[i]!;
    if (op.operator !== TLSCALL_OPERATOR || op.kind !== SlotKind.Memory) continue;
    const plain = parsed.form.mnemonic === "call" && parsed.form.indirect && op.base !== undefined && op.base.cls !== "rip" && (op.base.num & 7) !== RBP_LOW_BITS && op.index === undefined && op.minus < 0 && op.value === 0 && op.wide === undefined;
    if (!plain) return problem("PV1020", "@TLSCALL is supported in `call *sym@TLSCALL(%reg)` only", op.start, op.end);
    return op;
  }
  return undefined;
}

const RBP_LOW_BITS = 5;

/** Loads by add, or, adc, sbb, and, sub, xor and cmp from memory: opcodes 03 + 8n. */
const ALU_LOAD = 0x03;
const ALU_LOAD_MASK = ~0x38;

/**
 * The FIXUP_ flags of an @GOTPCREL field of an instruction of `form`, as tc-i386.c's
 * output_disp sets them (-mrelax-relocations=yes): a rip-relative `call`/`jmp *` (ff /2, /4),
 * or a load by mov (8b), test (85) or add/or/adc/sbb/and/sub/xor/cmp (03 + 8n), not 16-bit,
 * may be relaxed by the linker; a REX prefix matters to all but call and jmp.
 */
function gotRelaxation(form: Form, operand: ParsedOperand, data16: boolean, rex: number): number {
  if (operand.base?.cls !== "rip" || data16 || form.opsizePrefix || form.opcode.length !== 1) return 0;
  const opcode = form.opcode[0]!;
  const digit = form.modrm.kind === "digit" ? form.modrm.digit : -1;
  if (opcode === 0xff && (digit === 2 || digit === 4)) return FIXUP_RELAXABLE_GOT;
  if (form.modrm.kind === "r" && (opcode === 0x8b || opcode === 0x85 || (opcode & ALU_LOAD_MASK) === ALU_LOAD)) return FIXUP_RELAXABLE_GOT | (rex !== 0 ? FIXUP_REX : 0);
  return 0;
}

/** The directives by name, found without making a string of it. */
const DIRECTIVE_NAMES = new WordTable([...DIRECTIVES, ...CFI_DIRECTIVES].map(([name, handler]) => [name, { name, handler }] as const));

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
