/**
 * AT&T syntax: one instruction statement (prefix words, mnemonic, operands) parsed into a
 * ParsedInstruction, then matched against the table's forms.
 *
 * Matching follows GNU as: the forms of a mnemonic are tried in table order and the first whose
 * operand types accept the operands wins; immediates are narrowed the way gas narrows them
 * (a 16/32-bit operation reads an unsigned immediate as signed, so `addl $0xffffffff,%eax`
 * fits the sign-extended imm8 form). Errors are SyntaxProblem values located in the text.
 *
 * A ParsedInstruction is the encoder's input (EncodeInput) with the parse's extras, and is
 * meant to be reused from statement to statement: parsing, matching and encoding a statement
 * allocate next to nothing. Operand values are numbers where they are exact; a plain number or
 * `symbol±number` is read as it is parsed, anything else becomes an expression tree to fold.
 * `instructionOf` builds the Instruction object of a matched statement when one is wanted.
 */
import { isGpr, isUncoveredRegister, registerByName, REGISTERS, type Register } from "./registers.js";
import { allSpellings, formsForMnemonic, FORMS, type Form, type OperandType } from "./table.js";
import type { Instruction, Operand, Prefixes, SymbolRef } from "./instruction.js";
import { EncodeInput, MAX_OPERANDS, NO_PREFIXES, OperandSlot, SlotKind } from "./encode.js";
import { isProblem, isSymbolChar, isSymbolStart, operatorOf, parseExpr, problem, type Expr, type SyntaxProblem, type Value } from "./expr.js";
import { GOT_SYMBOL, NO_OPERATOR, operatorNeedsGot, operatorTakesImmediate, readOperator } from "./reloc-operators.js";

/** A symbol reference that may also subtract a second symbol (`$end-start`, `sym-.`). */
export interface SymbolTerm extends SymbolRef {
  readonly minus?: string;
}

export interface PrefixWord {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** How an operand's immediate or displacement is written. */
const enum Written {
  Nothing,
  /** A plain number: `value`. */
  Number,
  /** The symbol text[termStart..termEnd) plus `value` (`sym`, `sym+8`, `sym-8`). */
  Symbol,
  /** Anything else: `expr`, folded when matching. */
  Expression,
}

/**
 * One operand: a register (`%rax`), an immediate (`$expr`) or anything else, which is memory
 * (`disp(base,index,scale)`, also a bare symbol that a branch takes as its target).
 */
export class ParsedOperand extends OperandSlot {
  /** `*` before a branch target. */
  indirect = false;
  /** What kind of operand it is, as one of the CLASS_ bits (see ACCEPT). */
  cls = 0;
  /** The operand's text, for diagnostics. */
  start = 0;
  end = 0;
  /** The symbol subtracted from the value (`$end-start`), once folded; -1 for none. */
  minus = -1;
  written = Written.Nothing;
  /** Written.Symbol: where the symbol's name is, until matching finds out whether it is a constant. */
  termStart = 0;
  termEnd = 0;
  expr: Expr | undefined = undefined;
  /** The relocation operator on the value (`sym@GOTPCREL`), see reloc-operators.ts. */
  operator = NO_OPERATOR;

  /** Whether matching worked out the value (a symbol or an expression), rather than parsing. */
  get folded(): boolean {
    return this.written === Written.Symbol || this.written === Written.Expression;
  }

  override reset(kind: SlotKind): void {
    super.reset(kind);
    this.indirect = false;
    this.minus = -1;
    this.written = Written.Nothing;
    this.expr = undefined;
    this.operator = NO_OPERATOR;
  }
}

const NO_FORMS: readonly Form[] = [];

/** A statement's prefix words, mnemonic and operands; after matching, its form and prefixes too. */
export class ParsedInstruction extends EncodeInput {
  /** The text the statement was parsed from. */
  text = "";
  /** The prefix words before the mnemonic: the first `prefixCount` of `prefixWords`. */
  readonly prefixWords: PrefixWord[] = [];
  prefixCount = 0;
  /** Lower-case mnemonic; empty for a statement of prefix words only (`lock`, `rep`). */
  mnemonic = "";
  /** The forms the mnemonic may denote, in preference order (none for an unknown mnemonic). */
  forms: readonly Form[] = NO_FORMS;
  /** Word.otherSizes of the mnemonic. */
  otherSizes: readonly (readonly Form[])[] = [];
  mnemonicStart = 0;
  mnemonicEnd = 0;
  /** How many of `operands` the statement has. */
  count = 0;
  /** After matching, for a relaxable branch (jmp, jcc) in its rel8 form: the rel32 form. */
  longForm: Form | undefined = undefined;
  readonly operands: ParsedOperand[];

  constructor() {
    const operands = Array.from({ length: MAX_OPERANDS }, () => new ParsedOperand());
    super(operands);
    this.operands = operands;
  }

  /** The operand slot `i`, made on first use. */
  operand(i: number): ParsedOperand {
    while (this.operands.length <= i) this.operands.push(new ParsedOperand());
    return this.operands[i]!;
  }
}


/** The legacy prefix each prefix word stands for. */
export const PREFIX_BYTES: ReadonlyMap<string, number> = new Map([
  ["lock", 0xf0],
  ["rep", 0xf3],
  ["repe", 0xf3],
  ["repz", 0xf3],
  ["repne", 0xf2],
  ["repnz", 0xf2],
  ["cs", 0x2e],
  ["ds", 0x3e],
  ["es", 0x26],
  ["fs", 0x64],
  ["gs", 0x65],
  ["ss", 0x36],
  ["data16", 0x66],
  ["rex64", 0x48],
]);

/**
 * Words (mnemonics, prefix words, register names, directives) looked up while they are read,
 * ignoring ASCII case: every statement starts with a mnemonic and most operands name registers. A word of up
 * to eight characters is its characters' codes packed six bits each into two integers (no
 * string is made); the table is open addressing over those. Longer words go through a Map.
 */
export class WordTable<T> {
  /** Three integers a slot: the packed key (low, high; 0, 0 for an empty slot) and value index + 1. */
  private readonly slots: Int32Array;
  private readonly shift: number;
  private readonly values: T[] = [];
  private readonly long = new Map<string, T>();
  /** Where the word read last ended. */
  end = 0;

  constructor(entries: Iterable<readonly [string, T]>) {
    const list = [...entries];
    let bits = 4;
    while (1 << bits < 4 * list.length) bits++;
    this.shift = 32 - bits;
    this.slots = new Int32Array(3 << bits);
    for (const [word, value] of list) {
      if (word.length > 8) {
        if (!this.long.has(word)) this.long.set(word, value);
        continue;
      }
      const [low, high] = packWord(word);
      let slot = this.slotOf(low, high);
      while (this.slots[slot] !== 0 && !(this.slots[slot] === low && this.slots[slot + 1] === high)) slot = (slot + 3) % this.slots.length;
      if (this.slots[slot] !== 0) continue; // the first entry for a word wins
      this.slots[slot] = low;
      this.slots[slot + 1] = high;
      this.values.push(value);
      this.slots[slot + 2] = this.values.length;
    }
  }

  private slotOf(low: number, high: number): number {
    return 3 * (Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> this.shift);
  }

  /** Reads the word that starts at text[start] (up to `end`), sets `end`, and returns its value or undefined. */
  read(text: string, start: number, end: number): T | undefined {
    let low = 0;
    let high = 0;
    let p = start;
    for (; p < end; p++) {
      const c = text.charCodeAt(p);
      const code = c < 128 ? WORD_CODE[c]! : 0;
      if (code === 0) break;
      const i = p - start;
      if (i < 4) low |= code << (6 * i);
      else if (i < 8) high |= code << (6 * (i - 4));
    }
    this.end = p;
    if (p - start > 8) return this.long.get(text.slice(start, p).toLowerCase());
    if (p === start) return undefined;
    const slots = this.slots;
    for (let slot = this.slotOf(low, high); ; slot = (slot + 3) % slots.length) {
      if (slots[slot] === 0) return undefined;
      if (slots[slot] === low && slots[slot + 1] === high) return this.values[slots[slot + 2]! - 1];
    }
  }
}

/** The code of a word character, letters folded to lower case (1-38); 0 for others. */
const WORD_CODE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 97 && c <= 122) WORD_CODE[c] = c - 96;
  else if (c >= 65 && c <= 90) WORD_CODE[c] = c - 64;
  else if (c >= 48 && c <= 57) WORD_CODE[c] = c - 48 + 27;
  else if (c === 95) WORD_CODE[c] = 37;
  else if (c === 46) WORD_CODE[c] = 38;
}

/** A word of up to eight characters as two integers of packed character codes. */
function packWord(word: string): [number, number] {
  let low = 0;
  let high = 0;
  for (let i = 0; i < word.length; i++) {
    const code = WORD_CODE[word.charCodeAt(i)]!;
    if (i < 4) low |= code << (6 * i);
    else high |= code << (6 * (i - 4));
  }
  return [low, high];
}

/** A statement's first words: prefix words and mnemonics. */
interface Word {
  readonly name: string;
  readonly forms: readonly Form[];
  /** For each form, the later forms of another operand size (see matchInstruction). */
  readonly otherSizes: readonly (readonly Form[])[];
  /** The prefix byte of a prefix word, else -1. */
  readonly prefix: number;
}

function mnemonicWord(name: string): Word {
  const forms = formsForMnemonic(name);
  const otherSizes = forms.map((form, i) => forms.slice(i + 1).filter((f) => f.opsize !== form.opsize));
  return { name, forms, otherSizes, prefix: -1 };
}

// Prefix words first: a word that were both would be a prefix, as it is for gas.
const WORDS = new WordTable<Word>([
  ...[...PREFIX_BYTES].map(([name, prefix]) => [name, { name, forms: NO_FORMS, otherSizes: [], prefix }] as const),
  ...allSpellings().map((name) => [name, mnemonicWord(name)] as const),
]);

const REGISTER_NAMES = new WordTable<Register>(REGISTERS.map((r) => [r.name, r] as const));

const isSpace = (c: number) => c === 32 || c === 9;
const isDigit = (c: number) => c >= 48 && c <= 57;

const PERCENT = 37;
const COMMA = 44;
const OPEN = 40;
const CLOSE = 41;
const PLUS = 43;
const AT = 64;
const MINUS = 45;
const STAR = 42;
const DOLLAR = 36;
const COLON = 58;

/** The first position at or after `pos` (before `end`) that is not a space or tab. */
function skipSpaces(text: string, pos: number, end: number): number {
  while (pos < end && isSpace(text.charCodeAt(pos))) pos++;
  return pos;
}

/** `end` moved back over the spaces and tabs that end text[start..end). */
function trimEnd(text: string, start: number, end: number): number {
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

/** Parses the statement text[start..end) (no comments, no separators) into `into`. */
export function parseInstruction(text: string, start: number, end: number, into: ParsedInstruction): SyntaxProblem | undefined {
  start = skipSpaces(text, start, end);
  end = trimEnd(text, start, end);
  into.text = text;
  into.prefixCount = 0;
  into.count = 0;
  let pos = start;
  for (;;) {
    const wordStart = pos;
    const word = WORDS.read(text, wordStart, end);
    pos = WORDS.end;
    if (pos === wordStart) return problem("PV1002", `expected a mnemonic, found '${text.slice(wordStart, end)}'`, wordStart, end);
    const wordEnd = pos;
    pos = skipSpaces(text, pos, end);
    if (word && word.prefix >= 0) {
      into.prefixWords[into.prefixCount++] = { name: word.name, start: wordStart, end: wordEnd };
      if (pos < end) continue;
      into.mnemonic = "";
      into.forms = NO_FORMS;
      into.otherSizes = word.otherSizes;
      into.mnemonicStart = into.mnemonicEnd = wordEnd;
      return undefined;
    }
    into.mnemonic = word ? word.name : text.slice(wordStart, wordEnd).toLowerCase();
    into.forms = word ? word.forms : NO_FORMS;
    into.otherSizes = word ? word.otherSizes : [];
    into.mnemonicStart = wordStart;
    into.mnemonicEnd = wordEnd;
    for (let from = pos; from < end; ) {
      const opStart = skipSpaces(text, from, end);
      const op = into.operand(into.count);
      let comma = parseRegularOperand(text, opStart, end, op);
      if (comma < 0) {
        comma = nextComma(text, from, end);
        const bad = parseOperand(text, opStart, trimEnd(text, opStart, comma), op);
        if (bad) return bad;
      }
      into.count++;
      // A comma at the very end leaves an empty last operand, which is missing.
      from = comma + 1;
      if (from === end) return problem("PV1002", "missing operand", end, end);
    }
    return undefined;
  }
}

/** The position of the first comma at or after `from` outside parentheses and quotes, or `end`. */
function nextComma(text: string, from: number, end: number): number {
  let depth = 0;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < end && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === OPEN) depth++;
    else if (c === CLOSE) depth--;
    else if (c === COMMA && depth === 0) return i;
    else if (c === 39 && i + 1 < end) i++; // 'c character literal: the next character is data
  }
  return end;
}

/** Splits at commas outside parentheses and quotes, each part trimmed (directive arguments). */
export function splitOperands(text: string, start: number, end: number): [number, number][] {
  const parts: [number, number][] = [];
  for (let from = start; ; ) {
    const comma = nextComma(text, from, end);
    const partStart = skipSpaces(text, from, comma);
    parts.push([partStart, trimEnd(text, partStart, comma)]);
    if (comma === end) return parts;
    from = comma + 1;
  }
}

/** Reads the register name after the `%` at text[start]; sets REGISTER_NAMES.end to where it ends. */
function parseRegister(text: string, start: number, end: number): Register | SyntaxProblem {
  const reg = REGISTER_NAMES.read(text, start + 1, end);
  if (reg) return reg;
  // Spellings besides the canonical ones (%dr0 for %db0) are the register table's to know.
  const nameEnd = REGISTER_NAMES.end;
  const name = text.slice(start + 1, nameEnd);
  const known = registerByName(name);
  if (known) return known;
  if (isUncoveredRegister(name))
    return problem("PV1009", `register '%${name}' belongs to SSE, AVX, MMX or x87, which pvopc's instruction table does not cover (compile C with -mgeneral-regs-only, as the kernel is)`, start, nameEnd);
  return problem("PV1009", `bad register name '%${name}'`, start, nameEnd);
}


/**
 * Parses an operand of a regular shape (`%reg`, `$value`, `value`, `value(%base,%index,scale)`
 * with any part left out, a segment override before memory, `*` before a branch target; values
 * as simpleValue reads them) that starts at text[start], in one pass; returns the position of
 * the comma that ends it (or `end`), or -1 for any other text, which parseOperand then reads
 * (and reports on).
 */
function parseRegularOperand(text: string, start: number, end: number, op: ParsedOperand): number {
  op.reset(SlotKind.Memory);
  op.cls = CLASS_MEMORY;
  op.start = start;
  let p = start;
  if (text.charCodeAt(p) === STAR) {
    op.indirect = true;
    p = skipSpaces(text, p + 1, end);
  }
  const c = text.charCodeAt(p);
  if (c === DOLLAR) {
    if (op.indirect) return -1;
    op.kind = SlotKind.Immediate;
    op.cls = CLASS_IMMEDIATE;
    p = simpleValue(text, p + 1, end, op);
    return p < 0 ? -1 : operandEnd(text, start, p, end, op);
  }
  if (c === PERCENT) {
    const reg = REGISTER_NAMES.read(text, p + 1, end);
    if (!reg) return -1;
    p = skipSpaces(text, REGISTER_NAMES.end, end);
    if (p === end || text.charCodeAt(p) === COMMA) {
      op.kind = SlotKind.Register;
      op.reg = reg;
      op.cls = registerClass(reg);
      return operandEnd(text, start, p, end, op);
    }
    if (text.charCodeAt(p) !== COLON || reg.cls !== "seg") return -1;
    op.seg = reg;
    p = skipSpaces(text, p + 1, end);
  }
  if (text.charCodeAt(p) !== OPEN) {
    p = simpleValue(text, p, end, op);
    if (p < 0) return -1;
  }
  if (p < end && text.charCodeAt(p) === OPEN) {
    p = regularBaseIndex(text, p + 1, end, op);
    if (p < 0) return -1;
    p = skipSpaces(text, p, end);
  }
  return operandEnd(text, start, p, end, op);
}

/** Where a regular operand read up to text[p] ends: at a comma or `end` (else -1). */
function operandEnd(text: string, start: number, p: number, end: number, op: ParsedOperand): number {
  if (p < end && text.charCodeAt(p) !== COMMA) return -1;
  op.end = trimEnd(text, start, p);
  return p;
}

/** `%base, %index, scale)` after a `(`, each part optional but the index before a scale; else -1. */
function regularBaseIndex(text: string, p: number, end: number, op: ParsedOperand): number {
  p = skipSpaces(text, p, end);
  if (text.charCodeAt(p) === PERCENT) {
    op.base = REGISTER_NAMES.read(text, p + 1, end);
    if (!op.base) return -1;
    p = skipSpaces(text, REGISTER_NAMES.end, end);
  }
  if (text.charCodeAt(p) === COMMA) {
    p = skipSpaces(text, p + 1, end);
    op.index = text.charCodeAt(p) === PERCENT ? REGISTER_NAMES.read(text, p + 1, end) : undefined;
    if (!op.index) return -1;
    p = skipSpaces(text, REGISTER_NAMES.end, end);
    if (text.charCodeAt(p) === COMMA) {
      p = skipSpaces(text, p + 1, end);
      const scale = text.charCodeAt(p);
      if (scale === 49 || scale === 50 || scale === 52 || scale === 56) {
        op.scale = (scale - 48) as 1 | 2 | 4 | 8;
        p = skipSpaces(text, p + 1, end);
      }
    }
  }
  if (text.charCodeAt(p) !== CLOSE || (!op.base && !op.index) || checkBaseIndex(op.base, op.index)) return -1;
  return p + 1;
}

/** Parses one operand text[start..end) (already trimmed) into `op`. */
function parseOperand(text: string, start: number, end: number, op: ParsedOperand): SyntaxProblem | undefined {
  if (start >= end) return problem("PV1002", "missing operand", start, end);
  op.reset(SlotKind.Memory);
  op.cls = CLASS_MEMORY;
  op.start = start;
  op.end = end;
  let pos = start;
  if (text.charCodeAt(pos) === 42) {
    op.indirect = true;
    pos = skipSpaces(text, pos + 1, end);
  }
  const c = text.charCodeAt(pos);
  if (c === 36) {
    if (op.indirect) return problem("PV1002", "an immediate cannot be an indirect target", start, end);
    op.kind = SlotKind.Immediate;
    op.cls = CLASS_IMMEDIATE;
    return parseValue(text, pos + 1, end, op);
  }
  if (c === PERCENT) {
    const reg = parseRegister(text, pos, end);
    if (isProblem(reg)) return reg;
    const nameEnd = REGISTER_NAMES.end;
    const p = skipSpaces(text, nameEnd, end);
    if (p >= end) {
      op.kind = SlotKind.Register;
      op.reg = reg;
      op.cls = registerClass(reg);
      return undefined;
    }
    if (text.charCodeAt(p) !== 58) return problem("PV1002", `junk '${text.slice(p, end)}' after register`, p, end);
    if (reg.cls !== "seg") return problem("PV1008", `'%${reg.name}' is not a segment register`, pos, nameEnd);
    op.seg = reg;
    pos = skipSpaces(text, p + 1, end);
  }
  return parseMemory(text, pos, end, start, op);
}

function parseMemory(text: string, pos: number, end: number, start: number, op: ParsedOperand): SyntaxProblem | undefined {
  let dispEnd = end;
  if (end > pos && text.charCodeAt(end - 1) === CLOSE) {
    // Find the '(' matching the final ')'; it opens a base/index part when it holds a register or a comma.
    let depth = 0;
    let open = -1;
    for (let i = end - 1; i >= pos; i--) {
      const ch = text.charCodeAt(i);
      if (ch === CLOSE) depth++;
      else if (ch === OPEN && --depth === 0) {
        open = i;
        break;
      }
    }
    if (open < 0) return problem("PV1002", "unbalanced parentheses", start, end);
    const first = text.charCodeAt(skipSpaces(text, open + 1, end));
    if (first === PERCENT || first === COMMA) {
      dispEnd = open;
      const bad = parseBaseIndex(text, open, end, op);
      if (bad) return bad;
    }
  }
  pos = skipSpaces(text, pos, dispEnd);
  dispEnd = trimEnd(text, pos, dispEnd);
  if (dispEnd > pos) return parseValue(text, pos, dispEnd, op);
  if (!op.base && !op.index && op.seg === undefined) return problem("PV1002", "missing operand", start, end);
  return undefined;
}

/** `(base, index, scale)` from text[open..end): each part may be empty; no fourth part. */
function parseBaseIndex(text: string, open: number, end: number, op: ParsedOperand): SyntaxProblem | undefined {
  const inner = end - 1;
  const baseEnd = nextComma(text, open + 1, inner);
  const indexEnd = baseEnd < inner ? nextComma(text, baseEnd + 1, inner) : inner;
  const scaleEnd = indexEnd < inner ? nextComma(text, indexEnd + 1, inner) : inner;
  if (scaleEnd < inner) return invalidBaseIndex(text, open, end);
  const bs = skipSpaces(text, open + 1, baseEnd);
  const be = trimEnd(text, bs, baseEnd);
  if (be > bs) {
    const r = registerPart(text, bs, be, open, end);
    if (isProblem(r)) return r;
    op.base = r;
  }
  if (baseEnd < inner) {
    const is = skipSpaces(text, baseEnd + 1, indexEnd);
    const ie = trimEnd(text, is, indexEnd);
    if (ie > is) {
      const r = registerPart(text, is, ie, open, end);
      if (isProblem(r)) return r;
      op.index = r;
    } else if (indexEnd === inner) return invalidBaseIndex(text, open, end);
    // gas wants an index before a scale: `(%rax,,2)` and `(,,1)` are errors.
    else return problem("PV1008", "expecting scale factor of 1, 2, 4, or 8: got ''", is, is + 1);
  }
  if (indexEnd < inner) {
    const ss = skipSpaces(text, indexEnd + 1, scaleEnd);
    const se = trimEnd(text, ss, scaleEnd);
    // An empty scale is 1, as gas takes it.
    if (se > ss) {
      const c = se === ss + 1 ? text.charCodeAt(ss) : 0;
      if (c !== 49 && c !== 50 && c !== 52 && c !== 56)
        return problem("PV1008", `expecting scale factor of 1, 2, 4, or 8: got '${text.slice(ss, se)}'`, ss, Math.max(se, ss + 1));
      op.scale = (c - 48) as 1 | 2 | 4 | 8;
    }
  }
  const bad = checkBaseIndex(op.base, op.index);
  if (bad) return problem("PV1008", `'${text.slice(open, end)}' is not a valid base/index expression: ${bad}`, open, end);
  return undefined;
}

/** A base or index part, text[start..end) trimmed: one register and nothing else. */
function registerPart(text: string, start: number, end: number, open: number, close: number): Register | SyntaxProblem {
  if (text.charCodeAt(start) !== PERCENT) return invalidBaseIndex(text, open, close);
  const r = parseRegister(text, start, end);
  if (isProblem(r)) return r;
  return REGISTER_NAMES.end === end ? r : invalidBaseIndex(text, open, close);
}

function invalidBaseIndex(text: string, open: number, end: number): SyntaxProblem {
  return problem("PV1008", `'${text.slice(open, end)}' is not a valid base/index expression`, open, end);
}

/** The address width a register gives as a base or index (0: it cannot be one). */
function addressWidth(r: Register): number {
  return r.cls === "gpr64" || (r.cls === "rip" && r.bits === 64) ? 64 : r.cls === "gpr32" || r.cls === "rip" ? 32 : 0;
}

function checkBaseIndex(base: Register | undefined, index: Register | undefined): string | undefined {
  if (base && addressWidth(base) === 0) return `%${base.name} cannot be a base register`;
  if (index) {
    if (index.cls !== "gpr64" && index.cls !== "gpr32") return `%${index.name} cannot be an index register`;
    if (index.num === 4) return `%${index.name} cannot be an index register`;
    if (base?.cls === "rip") return "%rip-relative addressing takes no index";
    if (base && addressWidth(base) !== addressWidth(index)) return "base and index registers must have the same width";
  }
  return undefined;
}

/** The immediate or displacement text[start..end): a plain value as simpleValue reads it, or an expression. */
function parseValue(text: string, start: number, end: number, op: ParsedOperand): SyntaxProblem | undefined {
  if (simpleValue(text, start, end, op) === end) return undefined;
  const e = parseExpr(text, start, end);
  if (isProblem(e)) return e;
  op.expr = e;
  op.written = Written.Expression;
  return undefined;
}

/**
 * Reads `-number`, `number`, `symbol`, `symbol+number` or `symbol-number` (nearly all values
 * are) from text[start..end) into `op`; returns where it ends, past blanks, or -1 when the text
 * does not start with one.
 */
function simpleValue(text: string, start: number, end: number, op: ParsedOperand): number {
  let p = skipSpaces(text, start, end);
  const c = text.charCodeAt(p);
  if (isDigit(c) || (c === MINUS && isDigit(text.charCodeAt(p + 1)))) {
    const negative = c === MINUS;
    const n = plainNumber(text, negative ? p + 1 : p, end);
    if (n < 0) return -1;
    op.value = negative ? -n || 0 : n;
    op.written = Written.Number;
    return skipSpaces(text, numberEnd, end);
  }
  if (!isSymbolStart(c)) return -1;
  const nameStart = p;
  while (p < end && isSymbolChar(text.charCodeAt(p))) p++;
  const nameEnd = p;
  // `.` alone is the location counter, for the expression parser.
  if (nameEnd === nameStart + 1 && c === 46) return -1;
  if (text.charCodeAt(p) === AT) {
    const read = readOperator(text, p + 1, end);
    // Left to the expression parser, which reports what is wrong.
    if (!read || "error" in read) return -1;
    op.operator = read.op;
    p += 1 + read.length;
  }
  p = skipSpaces(text, p, end);
  let addend = 0;
  const sign = p < end ? text.charCodeAt(p) : 0;
  if (sign === PLUS || sign === MINUS) {
    const n = plainNumber(text, skipSpaces(text, p + 1, end), end);
    if (n < 0) return -1;
    p = skipSpaces(text, numberEnd, end);
    addend = sign === MINUS ? -n || 0 : n;
  }
  op.termStart = nameStart;
  op.termEnd = nameEnd;
  op.value = addend;
  op.written = Written.Symbol;
  return p;
}

/** Where the last plainNumber ended. */
let numberEnd = 0;

/**
 * A decimal number without a leading zero, `0`, or `0x` hex at text[start..), exactly
 * representable and not followed by a symbol character (`1f` is a label); else -1.
 */
function plainNumber(text: string, start: number, end: number): number {
  let p = start;
  let value = 0;
  if (text.charCodeAt(p) === 48 && (text.charCodeAt(p + 1) | 0x20) === 120) {
    for (p += 2; p < end; p++) {
      const c = text.charCodeAt(p);
      const d = isDigit(c) ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
      if (d < 0) break;
      value = value * 16 + d;
    }
    if (p === start + 2) return -1;
  } else {
    for (; p < end && isDigit(text.charCodeAt(p)); p++) value = value * 10 + text.charCodeAt(p) - 48;
    if (p === start || (p > start + 1 && text.charCodeAt(start) === 48)) return -1;
  }
  if ((p < end && isSymbolChar(text.charCodeAt(p))) || value > Number.MAX_SAFE_INTEGER) return -1;
  numberEnd = p;
  return value;
}

/**
 * What the matcher needs from the assembler to fold operand values where they stand. Symbols
 * are numbered by the assembler; operands carry those numbers.
 */
export interface OperandContext {
  /** Folds an expression (symbols with known values become constants; labels stay symbolic). */
  evaluate(e: Expr): Value | SyntaxProblem;
  /** The number of the symbol named text[start..end). */
  symbolAt(text: string, start: number, end: number): number;
  /** The constant value of a symbol, or undefined when it stays a symbol. */
  valueOf(symbol: number): bigint | undefined;
}

/** The rel32 sibling of a rel8 branch form (same mnemonic and condition), if any. */
function longBranchForm(form: Form): Form | undefined {
  const op = form.operands[0];
  if (form.operands.length !== 1 || op?.t !== "rel" || op.bits !== 8) return undefined;
  return LONG_BRANCH[form.id];
}

/** By form id. */
const LONG_BRANCH: (Form | undefined)[] = FORMS.map((f) => {
  if (f.operands.length !== 1 || f.operands[0]!.t !== "rel" || (f.operands[0] as { bits: number }).bits !== 8) return undefined;
  return FORMS.find((g) => g.mnemonic === f.mnemonic && g.cc === f.cc && g.operands.length === 1 && g.operands[0]!.t === "rel" && (g.operands[0] as { bits: number }).bits === 32);
});

/**
 * Folds the operand values of a parsed instruction and matches it to the first form (in table
 * order) that accepts its operands; sets `form`, `prefixes` and `longForm`.
 */
export function matchInstruction(parsed: ParsedInstruction, ctx: OperandContext): SyntaxProblem | undefined {
  const candidates = parsed.forms;
  if (candidates.length === 0) return problem("PV1001", `unknown instruction mnemonic '${parsed.mnemonic}'`, parsed.mnemonicStart, parsed.mnemonicEnd);
  for (let i = 0; i < parsed.count; i++) {
    const bad = foldValue(parsed.text, parsed.operands[i]!, ctx);
    if (bad) return bad;
  }
  let first = 0;
  while (first < candidates.length && !fits(candidates[first]!, parsed)) first++;
  if (first === candidates.length) return mismatch(parsed, candidates);
  let form = candidates[first]!;
  // A later form of another operand size that fits too leaves the size to a default or to the writer.
  const otherSizes = parsed.otherSizes[first]!;
  for (let k = 0; k < otherSizes.length; k++) {
    if (fits(otherSizes[k]!, parsed)) {
      const sized = defaultSize(parsed, candidates.slice(first).filter((f) => fits(f, parsed)));
      if (isProblem(sized)) return sized;
      form = sized;
      break;
    }
  }
  const prefixes = prefixesOf(parsed, form);
  if (isProblem(prefixes)) return prefixes;
  parsed.form = form;
  parsed.prefixes = prefixes;
  parsed.longForm = longBranchForm(form);
  return undefined;
}

/** Works out an operand's value: its symbol, if it stays one, and the constant (or addend). */
function foldValue(text: string, op: ParsedOperand, ctx: OperandContext): SyntaxProblem | undefined {
  if (op.written === Written.Symbol) {
    // as creates the GOT symbol when it reads the operator, before the symbol it applies to.
    if (operatorNeedsGot(op.operator)) ctx.symbolAt(GOT_SYMBOL, 0, GOT_SYMBOL.length);
    const symbol = ctx.symbolAt(text, op.termStart, op.termEnd);
    const known = op.operator === NO_OPERATOR ? ctx.valueOf(symbol) : undefined;
    if (known === undefined) op.symbol = symbol;
    else op.setValue(known + BigInt(op.value));
  } else if (op.written === Written.Expression) {
    const expr = op.expr!;
    if (operatorNeedsGot(operatorOf(expr))) ctx.symbolAt(GOT_SYMBOL, 0, GOT_SYMBOL.length);
    const v = ctx.evaluate(expr);
    if (isProblem(v)) return v;
    if (v.plus === undefined && v.minus !== undefined) return problem("PV1018", "a symbol may only be subtracted from another symbol", expr.start, expr.end);
    if (v.operator !== undefined) op.operator = v.operator;
    op.setValue(v.addend);
    if (v.plus !== undefined) op.symbol = ctx.symbolAt(v.plus, 0, v.plus.length);
    if (v.minus !== undefined) op.minus = ctx.symbolAt(v.minus, 0, v.minus.length);
  }
  return undefined;
}

// What kind of operand a statement has, as a bit, against what each form operand accepts: most
// candidate forms are ruled out by one AND. `operandFit` is the same judgement with the reason.
const CLASS_MEMORY = 1;
const CLASS_IMMEDIATE = 2;
const CLASS_CONTROL = 4;
const CLASS_DEBUG = 8;
/** General registers: CLASS_GPR << (log2(bits) - 3), for 8 to 64 bits. */
const CLASS_GPR = 16;

function gprClass(bits: number): number {
  return bits === 8 ? CLASS_GPR : bits === 16 ? CLASS_GPR << 1 : bits === 32 ? CLASS_GPR << 2 : bits === 64 ? CLASS_GPR << 3 : 0;
}

/** The class of a register operand (0 for one no form takes, like a segment register). */
function registerClass(r: Register): number {
  if (isGpr(r)) return gprClass(r.bits);
  return r.cls === "cr" ? CLASS_CONTROL : r.cls === "dr" ? CLASS_DEBUG : 0;
}

/** What an operand of a class must pass besides, for a form operand. */
const enum Check {
  None,
  Displacement,
  Fixed,
  One,
  Relative,
  Moffs,
  Immediate,
}

/** By form id and operand index: the classes the form operand accepts, and the further check. */
const ACCEPT = new Int32Array(FORMS.length * MAX_OPERANDS);
const CHECK = new Uint8Array(FORMS.length * MAX_OPERANDS);
for (const form of FORMS) {
  form.operands.forEach((type, i) => {
    const at = form.id * MAX_OPERANDS + i;
    const [accept, check] = ((): [number, Check] => {
      switch (type.t) {
        case "reg":
        case "opreg":
        case "rmreg":
          return [gprClass(type.bits), Check.None];
        case "rm":
          return [gprClass(type.bits) | CLASS_MEMORY, Check.Displacement];
        case "mem":
          return [CLASS_MEMORY, Check.Displacement];
        case "fixed":
          return [gprClass(type.reg.bits), Check.Fixed];
        case "creg":
          return [CLASS_CONTROL, Check.None];
        case "dreg":
          return [CLASS_DEBUG, Check.None];
        case "one":
          return [CLASS_IMMEDIATE, Check.One];
        case "rel":
          return [CLASS_MEMORY, Check.Relative];
        case "moffs":
          return [CLASS_MEMORY, Check.Moffs];
        case "imm":
          return [CLASS_IMMEDIATE, Check.Immediate];
      }
    })();
    ACCEPT[at] = accept;
    CHECK[at] = check;
  });
}

/** Whether every operand fits the form: operandFit(...) === Fail.None for each, quickly. */
function fits(form: Form, parsed: ParsedInstruction): boolean {
  const count = parsed.count;
  if (form.operands.length !== count) return false;
  const at = form.id * MAX_OPERANDS;
  for (let i = 0; i < count; i++) {
    const op = parsed.operands[i]!;
    if ((ACCEPT[at + i]! & op.cls) === 0) return false;
    if (op.kind !== SlotKind.Immediate && op.indirect !== form.indirect) return false;
    const check = CHECK[at + i]!;
    if (check !== Check.None && !passes(check, form, form.operands[i]!, op)) return false;
  }
  return true;
}

function passes(check: Check, form: Form, type: OperandType, op: ParsedOperand): boolean {
  switch (check) {
    case Check.Displacement:
      return op.kind !== SlotKind.Memory || displacementFit(op) === Fail.None;
    case Check.Fixed: {
      const reg = (type as { reg: Register }).reg;
      return op.reg!.num === reg.num && op.reg!.cls === reg.cls;
    }
    case Check.One:
      return op.symbol < 0 && op.wide === undefined && op.value === (type as { value: number }).value;
    case Check.Relative:
      return !op.base && !op.index && !op.seg && !op.indirect;
    case Check.Moffs:
      return !op.base && !op.index;
    default:
      return immediateFit(form, type as { bits: 8 | 16 | 32 | 64; signExtended: boolean }, op) === Fail.None;
  }
}

/**
 * The form among `matching` (all fitting, of several operand sizes) that gas picks without a
 * suffix or a register to size it: the 64-bit one for push/pop and near branches, else none.
 */
function defaultSize(parsed: ParsedInstruction, matching: readonly Form[]): Form | SyntaxProblem {
  if (matching.every((f) => f.default64)) return matching.find((f) => f.opsize === 64) ?? matching[0]!;
  const operands = parsed.operands.slice(0, parsed.count);
  const at = operands.find((o) => o.kind === SlotKind.Memory) ?? operands[0];
  return problem(
    "PV1006",
    `no size suffix on '${parsed.mnemonic}' and no register operand to size it; write ${[...new Set(matching.map((f) => f.printSized))].join(", ")}`,
    at ? at.start : parsed.mnemonicStart,
    at ? at.end : parsed.mnemonicEnd,
  );
}

/** Why no form fits: the complaint about the form that came closest, or about the operand count. */
function mismatch(parsed: ParsedInstruction, candidates: readonly Form[]): SyntaxProblem {
  // Registers and memory that fit weigh more than an immediate that fits (so `movb $300,%al`
  // blames the immediate, not %al), and at equal closeness a size or range problem says more
  // than a plain type mismatch.
  let best: { score: number; form: Form; operand: number; fail: Fail } | undefined;
  for (const form of candidates) {
    if (form.operands.length !== parsed.count) continue;
    let failAt = -1;
    let fail = Fail.None;
    let score = 0;
    for (let i = 0; i < parsed.count; i++) {
      const op = parsed.operands[i]!;
      const f = operandFit(form, form.operands[i]!, op);
      if (f === Fail.None) score += op.kind === SlotKind.Immediate ? 1 : 2;
      else if (failAt < 0 || (fail === Fail.Type && f !== Fail.Type)) {
        failAt = i;
        fail = f;
      }
    }
    if (!best || score > best.score || (score === best.score && best.fail === Fail.Type && fail !== Fail.Type)) best = { score, form, operand: failAt, fail };
  }
  if (best) return explain(best.form, best.form.operands[best.operand]!, parsed.operands[best.operand]!, parsed.mnemonic, best.fail);
  const counts = [...new Set(candidates.map((f) => f.operands.length))].sort();
  const where = parsed.count ? { s: parsed.operands[0]!.start, e: parsed.operands[parsed.count - 1]!.end } : { s: parsed.mnemonicStart, e: parsed.mnemonicEnd };
  return problem("PV1003", `'${parsed.mnemonic}' takes ${counts.join(" or ")} operand${counts.length === 1 && counts[0] === 1 ? "" : "s"}, not ${parsed.count}`, where.s, where.e);
}

function prefixesOf(parsed: ParsedInstruction, form: Form): Prefixes | SyntaxProblem {
  if (parsed.prefixCount === 0) return NO_PREFIXES;
  const p: { lock?: boolean; rep?: "rep" | "repne"; seg?: Register; data16?: number; rex?: number } = {};
  const operands = parsed.operands.slice(0, parsed.count);
  const memSeg = operands.find((o) => o.kind === SlotKind.Memory && o.seg)?.seg;
  for (const w of parsed.prefixWords.slice(0, parsed.prefixCount)) {
    const twice = () => problem("PV1015", "same type of prefix used twice", w.start, w.end);
    if (w.name === "lock") {
      if (p.lock) return twice();
      const dest = operands[operands.length - 1];
      if (!form.lockable || dest?.kind !== SlotKind.Memory)
        return problem("PV1015", `expecting a lockable instruction with a memory destination after 'lock'`, parsed.mnemonicStart, parsed.mnemonicEnd);
      p.lock = true;
    } else if (w.name.startsWith("rep")) {
      if (p.rep || form.mandatoryPrefixes.some((b) => b === 0xf2 || b === 0xf3)) return twice();
      if (!form.repable) return problem("PV1015", `invalid instruction '${parsed.mnemonic}' after '${w.name}'`, parsed.mnemonicStart, parsed.mnemonicEnd);
      p.rep = w.name === "repne" || w.name === "repnz" ? "repne" : "rep";
    } else if (w.name === "data16") {
      if (p.data16 || form.opsizePrefix || form.mandatoryPrefixes.includes(0x66)) return twice();
      p.data16 = 1;
    } else if (w.name === "rex64") {
      if (p.rex) return twice();
      p.rex = REX_W;
    } else {
      if (p.seg || memSeg) return twice();
      p.seg = registerByName(w.name)!;
    }
  }
  return shared(p);
}

/** The REX prefix `rex64` writes: REX.W. */
const REX_W = 0x48;

/** One Prefixes object per combination (there are few), rather than one per statement. */
const SHARED_PREFIXES = new Map<number, Prefixes>();

function shared(p: Prefixes): Prefixes {
  const key = (p.lock ? 1 : 0) | (p.rep === "rep" ? 2 : p.rep === "repne" ? 4 : 0) | ((p.seg ? p.seg.num + 1 : 0) << 3) | ((p.data16 ?? 0) << 6) | (p.rex ? 1 << 8 : 0);
  let known = SHARED_PREFIXES.get(key);
  if (!known) SHARED_PREFIXES.set(key, (known = Object.freeze(p)));
  return known;
}

const SIZE_WORD: Record<number, string> = { 8: "8-bit", 16: "16-bit", 32: "32-bit", 64: "64-bit" };

/** Why an operand does not fit an operand type (None: it fits). Messages are built only for the one reported. */
const enum Fail {
  None,
  Type,
  Size,
  Range,
  Displacement,
  Indirect,
  SymbolicImmediate,
}

function operandFit(form: Form, type: OperandType, op: ParsedOperand): Fail {
  if (op.kind !== SlotKind.Immediate && op.indirect !== form.indirect) return Fail.Indirect;
  switch (type.t) {
    case "reg":
    case "opreg":
    case "rmreg":
    case "rm":
      if (op.kind === SlotKind.Memory) return type.t === "rm" ? displacementFit(op) : Fail.Type;
      if (op.kind !== SlotKind.Register || !isGpr(op.reg!)) return Fail.Type;
      return op.reg!.bits === type.bits ? Fail.None : Fail.Size;
    case "mem":
      return op.kind === SlotKind.Memory ? displacementFit(op) : Fail.Type;
    case "fixed":
      if (op.kind !== SlotKind.Register || !isGpr(op.reg!)) return Fail.Type;
      if (op.reg!.bits !== type.reg.bits) return Fail.Size;
      return op.reg!.num === type.reg.num && op.reg!.cls === type.reg.cls ? Fail.None : Fail.Type;
    case "creg":
      return op.kind === SlotKind.Register && op.reg!.cls === "cr" ? Fail.None : Fail.Type;
    case "dreg":
      return op.kind === SlotKind.Register && op.reg!.cls === "dr" ? Fail.None : Fail.Type;
    case "one":
      return op.kind === SlotKind.Immediate && op.symbol < 0 && op.wide === undefined && op.value === type.value ? Fail.None : Fail.Type;
    case "rel":
      return op.kind === SlotKind.Memory && !op.base && !op.index && !op.seg && !op.indirect ? Fail.None : Fail.Type;
    case "moffs":
      return op.kind === SlotKind.Memory && !op.base && !op.index ? Fail.None : Fail.Type;
    case "imm":
      return op.kind === SlotKind.Immediate ? immediateFit(form, type, op) : Fail.Type;
  }
}

function explain(form: Form, type: OperandType, op: ParsedOperand, mnemonic: string, fail: Fail): SyntaxProblem {
  const at = (code: string, message: string) => problem(code, message, op.start, op.end);
  switch (fail) {
    case Fail.Indirect:
      return at("PV1003", form.indirect ? `'${mnemonic}' needs an indirect operand (*)` : `'*' is only valid on a branch or call target`);
    case Fail.Size: {
      const reg = op.reg!;
      const expected = type.t === "fixed" ? `%${type.reg.name}` : `a ${SIZE_WORD[(type as { bits: number }).bits]} register`;
      return at("PV1004", `operand size mismatch for '${mnemonic}': %${reg.name} is ${SIZE_WORD[reg.bits]}, expected ${expected}`);
    }
    case Fail.Displacement:
      return at("PV1008", `displacement ${formatValue(op.bigValue())} does not fit in a signed 32-bit field`);
    case Fail.SymbolicImmediate:
      return at("PV1003", "a symbolic immediate needs a 32-bit field");
    case Fail.Range: {
      const t = type as { bits: number; signExtended: boolean };
      const signExtended = t.signExtended || (t.bits === 32 && form.opsize === 64);
      return at(
        "PV1005",
        `immediate ${formatValue(narrowImmediate(op.bigValue(), form.opsize))} is out of range for ${signExtended ? "a sign-extended " : "an "}${t.bits}-bit field of '${mnemonic}'`,
      );
    }
    default:
      return at("PV1003", `operand type mismatch for '${mnemonic}'`);
  }
}

/** A constant displacement must fit the sign-extended disp32 of 64-bit addressing. */
function displacementFit(op: ParsedOperand): Fail {
  if (op.symbol >= 0 || op.base?.bits === 32 || op.index?.bits === 32) return Fail.None;
  return op.wide === undefined && op.value >= -0x80000000 && op.value <= 0x7fffffff ? Fail.None : Fail.Displacement;
}

/**
 * gas reads an immediate of a 16- or 32-bit operation that fits the width unsigned as signed
 * (so $0xffe0 in a 16-bit operation is -32 and fits a sign-extended imm8). `value` is read
 * modulo 2^64; the result is signed.
 */
function narrowImmediate(value: bigint, opsize: number): bigint {
  const v = BigInt.asUintN(64, value);
  if (opsize === 16 && v < 0x10000n) return BigInt.asIntN(16, v);
  if (opsize === 32 && v < 0x100000000n) return BigInt.asIntN(32, v);
  return BigInt.asIntN(64, v);
}

/** narrowImmediate of an operand's value, as a number (exact, or far outside every field's range). */
function narrowed(op: ParsedOperand, opsize: number): number {
  if (op.wide !== undefined) return Number(narrowImmediate(op.wide, opsize));
  const v = op.value;
  if (opsize === 16 && v >= 0 && v < 0x10000) return v >= 0x8000 ? v - 0x10000 : v;
  if (opsize === 32 && v >= 0 && v < 0x100000000) return v >= 0x80000000 ? v - 0x100000000 : v;
  return v;
}


function immediateFit(form: Form, type: { bits: 8 | 16 | 32 | 64; signExtended: boolean }, op: ParsedOperand): Fail {
  const n = type.bits;
  const opsize = form.opsize;
  // A sign-extended field narrower than the operation holds a symbol's value only at full width.
  const signExtended = type.signExtended || (n === 32 && opsize === 64);
  if (op.symbol >= 0) {
    if (signExtended && n < 32) return Fail.SymbolicImmediate;
    if (op.operator === NO_OPERATOR) return Fail.None;
    return operatorTakesImmediate(op.operator, n, signExtended) ? Fail.None : Fail.Type;
  }
  if (n >= 64) return Fail.None;
  const s = narrowed(op, opsize);
  // The field holds [-2^(n-1), 2^(n-1)) sign-extended, up to 2^n unsigned.
  const signedLimit = n === 8 ? 0x80 : n === 16 ? 0x8000 : 0x80000000;
  const unsignedLimit = 2 * signedLimit;
  let ok: boolean;
  if (signExtended) ok = s >= -signedLimit && s < signedLimit;
  else if (n === opsize) ok = s > -unsignedLimit && s < unsignedLimit;
  else ok = s >= -signedLimit && s < unsignedLimit;
  return ok ? Fail.None : Fail.Range;
}

function formatValue(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/**
 * The Instruction of a matched statement (operand values as 64-bit unsigned BigInts);
 * `nameOf` names the symbols the operands carry.
 */
export function instructionOf(parsed: ParsedInstruction, nameOf: (symbol: number) => string): Instruction {
  const form = parsed.form;
  const operands: Operand[] = [];
  for (let i = 0; i < parsed.count; i++) operands.push(toOperand(form.operands[i]!, parsed.operands[i]!, form, nameOf));
  return { form, operands, prefixes: parsed.prefixes };
}

function toOperand(type: OperandType, op: ParsedOperand, form: Form, nameOf: (symbol: number) => string): Operand {
  if (op.kind === SlotKind.Register) return { kind: "reg", reg: op.reg! };
  const symbol: SymbolTerm | undefined = op.symbol < 0 ? undefined : op.minus < 0 ? { name: nameOf(op.symbol) } : { name: nameOf(op.symbol), minus: nameOf(op.minus) };
  if (op.kind === SlotKind.Immediate) {
    const value = BigInt.asUintN(64, !symbol && type.t === "imm" ? narrowImmediate(op.bigValue(), form.opsize) : op.bigValue());
    return symbol ? { kind: "imm", value, symbol } : { kind: "imm", value };
  }
  const value = BigInt.asUintN(64, op.bigValue());
  if (type.t === "rel") return symbol ? { kind: "rel", target: value, symbol } : { kind: "rel", target: value };
  const mem: { -readonly [K in keyof Extract<Operand, { kind: "mem" }>]?: unknown } = { kind: "mem", scale: op.scale, disp: value };
  if (op.seg) mem.seg = op.seg;
  if (op.base) mem.base = op.base;
  if (op.index) mem.index = op.index;
  if (symbol) mem.symbol = symbol;
  return mem as Operand;
}
