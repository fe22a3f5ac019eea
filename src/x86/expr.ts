/**
 * GNU as expressions: integer literals (decimal, 0x hex, 0b binary, 0 octal, 'c characters),
 * symbols, `.` (the current location), numeric local label references (`1f`, `1b`), unary
 * - ~ ! +, and the binary operators with gas's precedence:
 *
 *     * / % << >>   (highest)
 *     | & ^ !       (! is or-not)
 *     + - == != <> < > <= >=
 *     &&
 *     ||            (lowest)
 *
 * Parsing yields a small tree; evaluation folds it into a Value: a constant addend plus at most
 * one added and one subtracted symbol, which is all a relocation (or a pc-relative field) can
 * express. Anything else is reported as an error value, never thrown.
 */

import { NO_OPERATOR, readOperator } from "./reloc-operators.js";

export type Expr =
  | { readonly k: "num"; readonly v: bigint; readonly start: number; readonly end: number }
  /** `op`: a relocation operator (`sym@GOTPCREL`), see reloc-operators.ts; NO_OPERATOR for none. */
  | { readonly k: "sym"; readonly name: string; readonly op: number; readonly start: number; readonly end: number }
  /** A numeric local label reference: `1b` (backward) or `1f` (forward). */
  | { readonly k: "local"; readonly label: string; readonly forward: boolean; readonly start: number; readonly end: number }
  | { readonly k: "dot"; readonly start: number; readonly end: number }
  | { readonly k: "un"; readonly op: string; readonly e: Expr; readonly start: number; readonly end: number }
  | { readonly k: "bin"; readonly op: string; readonly l: Expr; readonly r: Expr; readonly start: number; readonly end: number };

/** An error located in the source text (offsets into the text given to the parser). */
export class SyntaxProblem {
  constructor(
    /** Diagnostic code; see docs/assembler.md. */
    readonly code: string,
    readonly message: string,
    readonly start: number,
    readonly end: number,
  ) {}
}

export function problem(code: string, message: string, start: number, end: number): SyntaxProblem {
  return new SyntaxProblem(code, message, start, end);
}

export function isProblem(x: unknown): x is SyntaxProblem {
  return x instanceof SyntaxProblem;
}

const PRECEDENCE: Record<string, number> = {
  "*": 5,
  "/": 5,
  "%": 5,
  "<<": 5,
  ">>": 5,
  "|": 4,
  "&": 4,
  "^": 4,
  "!": 4,
  "+": 3,
  "-": 3,
  "==": 3,
  "!=": 3,
  "<>": 3,
  "<": 3,
  ">": 3,
  "<=": 3,
  ">=": 3,
  "&&": 2,
  "||": 1,
};

// Symbol characters by code: 1 for those that may start a symbol (letters, `_`, `.`), 2 for
// those that may only follow (digits, `$`). A table, since every name is read through it.
const SYMBOL_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 46) SYMBOL_CHAR[c] = 1;
  else if ((c >= 48 && c <= 57) || c === 36) SYMBOL_CHAR[c] = 2;
}

export function isSymbolStart(c: number): boolean {
  return c < 128 && SYMBOL_CHAR[c] === 1;
}

export function isSymbolChar(c: number): boolean {
  return c < 128 && SYMBOL_CHAR[c] !== 0;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

const NOT_A_DIGIT = 99;

/** The value of a hex digit character, or NOT_A_DIGIT. */
function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return NOT_A_DIGIT;
}

const isSpace = (c: number) => c === 32 || c === 9;
const AT = 64;

/** Parses an expression in text[pos..end); returns the tree and where it stopped. */
export class ExprParser {
  pos: number;
  /** How many relocation operators the expression has used so far. */
  operators = 0;

  constructor(
    readonly text: string,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  skipSpace(): void {
    while (this.pos < this.end && isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /** Parses a full expression; the caller checks what follows. */
  parse(): Expr | SyntaxProblem {
    return this.binary(1);
  }

  private peekOperator(): string | undefined {
    this.skipSpace();
    if (this.pos >= this.end) return undefined;
    const c = this.text.charCodeAt(this.pos);
    const next = this.pos + 1 < this.end ? this.text.charCodeAt(this.pos + 1) : 0;
    switch (c) {
      case 43:
        return "+";
      case 45:
        return "-";
      case 42:
        return "*";
      case 47:
        return "/";
      case 37:
        return "%";
      case 94:
        return "^";
      case 124:
        return next === 124 ? "||" : "|";
      case 38:
        return next === 38 ? "&&" : "&";
      case 33:
        return next === 61 ? "!=" : "!";
      case 61:
        return next === 61 ? "==" : undefined;
      case 60:
        return next === 60 ? "<<" : next === 62 ? "<>" : next === 61 ? "<=" : "<";
      case 62:
        return next === 62 ? ">>" : next === 61 ? ">=" : ">";
    }
    return undefined;
  }

  private binary(minPrec: number): Expr | SyntaxProblem {
    let left = this.unary();
    if (isProblem(left)) return left;
    for (;;) {
      const op = this.peekOperator();
      if (op === undefined) return left;
      const prec = PRECEDENCE[op]!;
      if (prec < minPrec) return left;
      this.pos += op.length;
      const right = this.binary(prec + 1);
      if (isProblem(right)) return right;
      left = { k: "bin", op, l: left, r: right, start: left.start, end: right.end };
    }
  }

  private unary(): Expr | SyntaxProblem {
    this.skipSpace();
    const start = this.pos;
    if (this.pos >= this.end) return problem("PV1002", "expected an expression", start, start);
    const c = this.text.charCodeAt(this.pos);
    if (c === 45 || c === 126 || c === 33 || c === 43) {
      this.pos++;
      const e = this.unary();
      if (isProblem(e)) return e;
      return { k: "un", op: String.fromCharCode(c), e, start, end: e.end };
    }
    if (c === 40) {
      this.pos++;
      const e = this.binary(1);
      if (isProblem(e)) return e;
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 41 || this.pos >= this.end) return problem("PV1002", "missing ')'", this.pos, this.pos);
      this.pos++;
      return e;
    }
    if (isDigit(c)) return this.number();
    if (c === 39) {
      // 'c: the character's code (gas takes the one character after the quote).
      if (this.pos + 1 >= this.end) return problem("PV1002", "expected a character after '", start, this.pos + 1);
      let ch = this.text.charCodeAt(this.pos + 1);
      let len = 2;
      if (ch === 92 && this.pos + 2 < this.end) {
        const esc = ESCAPES[this.text[this.pos + 2]!];
        ch = esc ?? this.text.charCodeAt(this.pos + 2);
        len = 3;
      }
      this.pos += len;
      if (this.text.charCodeAt(this.pos) === 39 && this.pos < this.end) this.pos++;
      return { k: "num", v: BigInt(ch), start, end: this.pos };
    }
    if (isSymbolStart(c)) {
      let p = this.pos + 1;
      while (p < this.end && isSymbolChar(this.text.charCodeAt(p))) p++;
      const name = this.text.slice(this.pos, p);
      this.pos = p;
      if (name === ".") return { k: "dot", start, end: p };
      let op = NO_OPERATOR;
      // as takes blanks around the @ of a relocation operator (`foo @GOT`, `foo@ GOT`).
      let at = p;
      while (at < this.end && isSpace(this.text.charCodeAt(at))) at++;
      if (this.text.charCodeAt(at) === AT && at < this.end) {
        let opStart = at + 1;
        while (opStart < this.end && isSpace(this.text.charCodeAt(opStart))) opStart++;
        const read = readOperator(this.text, opStart, this.end);
        if (read && "error" in read) return problem("PV1020", read.error, start, opStart);
        if (read) {
          op = read.op;
          this.pos = opStart + read.length;
          this.operators++;
        }
      }
      return { k: "sym", name, op, start, end: this.pos };
    }
    return problem("PV1002", `unexpected '${this.text[this.pos]}' in expression`, start, start + 1);
  }

  private number(): Expr | SyntaxProblem {
    const text = this.text;
    const start = this.pos;
    let p = start;
    while (p < this.end && isDigit(text.charCodeAt(p))) p++;
    const next = p < this.end ? text.charCodeAt(p) : 0;
    const after = p + 1 < this.end ? text.charCodeAt(p + 1) : 0;
    // `1f` / `1b`: a local label reference, unless it continues like a binary literal 0b101.
    if ((next === 102 || next === 98) && !isSymbolChar(after) && !(next === 98 && p === start + 1 && text[start] === "0" && (after === 48 || after === 49))) {
      this.pos = p + 1;
      return { k: "local", label: text.slice(start, p), forward: next === 102, start, end: this.pos };
    }
    let radix = 10;
    let digitsStart = start;
    if (text.charCodeAt(start) === 48 && p === start + 1 && (next === 120 || next === 88)) {
      radix = 16;
      digitsStart = p + 1;
    } else if (text.charCodeAt(start) === 48 && p === start + 1 && (next === 98 || next === 66)) {
      radix = 2;
      digitsStart = p + 1;
    } else if (text.charCodeAt(start) === 48 && p > start + 1) {
      radix = 8;
      digitsStart = start + 1;
    }
    // The digits run as far as symbol characters go; every one must be a digit of the radix.
    let value = 0;
    p = digitsStart;
    let valid = true;
    for (; p < this.end; p++) {
      const d = digitValue(text.charCodeAt(p));
      if (d === NOT_A_DIGIT) break;
      if (d >= radix) valid = false;
      value = value * radix + d;
    }
    if (p === digitsStart) valid = false;
    while (p < this.end && isSymbolChar(text.charCodeAt(p))) {
      valid = false;
      p++;
    }
    this.pos = p;
    if (!valid) return problem("PV1002", `invalid number '${text.slice(start, p)}'`, start, p);
    // Up to 2^53 the number is exact; beyond, the digits are read again as a BigInt.
    const v = value <= Number.MAX_SAFE_INTEGER ? BigInt(value) : BigInt((radix === 16 ? "0x" : radix === 2 ? "0b" : radix === 8 ? "0o" : "") + text.slice(digitsStart, p));
    return { k: "num", v: BigInt.asUintN(64, v), start, end: p };
  }
}

/** The relocation operator an expression uses, or NO_OPERATOR. */
export function operatorOf(e: Expr): number {
  switch (e.k) {
    case "sym":
      return e.op;
    case "un":
      return operatorOf(e.e);
    case "bin":
      return operatorOf(e.l) || operatorOf(e.r);
    default:
      return NO_OPERATOR;
  }
}

export const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, v: 11, a: 7, "\\": 92, '"': 34, "'": 39, e: 27 };

/** Parses text[start..end) as a whole expression (with at most one relocation operator). */
export function parseExpr(text: string, start: number, end: number): Expr | SyntaxProblem {
  const p = new ExprParser(text, start, end);
  const e = p.parse();
  if (isProblem(e)) return e;
  p.skipSpace();
  if (p.pos < end) return problem("PV1002", `junk '${text.slice(p.pos, end).trim()}' after expression`, p.pos, end);
  if (p.operators > 1) return problem("PV1002", `junk '${text.slice(e.start, end).trim()}': only one relocation operator may be used`, e.start, end);
  return e;
}

/** A folded expression: `addend + plus - minus`, where plus/minus are symbol names. */
export interface Value {
  readonly addend: bigint;
  readonly plus?: string;
  readonly minus?: string;
  /** The relocation operator applied to `plus` (`plus@GOT`), if any. */
  readonly operator?: number;
}

/** How the evaluator sees a symbol: a known absolute value, or a name left for later. */
export type SymbolLookup = (name: string) => bigint | undefined;

/** Names numeric local label references and `.`, both of which depend on the assembler's position. */
export interface ExprContext {
  readonly lookup: SymbolLookup;
  /** The symbol standing for `.` (a label the assembler placed at the statement). */
  readonly dot: () => string;
  /** The symbol a local label reference denotes, or undefined when there is none. */
  readonly local: (label: string, forward: boolean) => string | undefined;
}

const wrap = (v: bigint) => BigInt.asUintN(64, v);

/** Folds an expression; symbols the lookup knows become constants. */
export function evaluate(e: Expr, ctx: ExprContext): Value | SyntaxProblem {
  switch (e.k) {
    case "num":
      return { addend: e.v };
    case "sym": {
      // A relocation operator needs the symbol even when its value is known.
      if (e.op !== NO_OPERATOR) return { addend: 0n, plus: e.name, operator: e.op };
      const known = ctx.lookup(e.name);
      return known === undefined ? { addend: 0n, plus: e.name } : { addend: known };
    }
    case "dot":
      return { addend: 0n, plus: ctx.dot() };
    case "local": {
      const name = ctx.local(e.label, e.forward);
      if (name === undefined)
        return problem("PV1019", `no ${e.forward ? "following" : "preceding"} definition of local label ${e.label}`, e.start, e.end);
      return { addend: 0n, plus: name };
    }
    case "un": {
      const v = evaluate(e.e, ctx);
      if (isProblem(v)) return v;
      if (e.op === "+") return v;
      if (v.operator !== undefined) return tooComplex(e);
      if (e.op === "-" && v.minus === undefined && v.plus === undefined) return { addend: wrap(-v.addend) };
      if (e.op === "-" && v.plus !== undefined && v.minus !== undefined)
        return { addend: wrap(-v.addend), plus: v.minus, minus: v.plus };
      if (e.op === "-" && v.plus !== undefined) return { addend: wrap(-v.addend), minus: v.plus };
      if (v.plus !== undefined || v.minus !== undefined) return tooComplex(e);
      if (e.op === "~") return { addend: wrap(~v.addend) };
      return { addend: v.addend === 0n ? 1n : 0n };
    }
    case "bin": {
      const l = evaluate(e.l, ctx);
      if (isProblem(l)) return l;
      const r = evaluate(e.r, ctx);
      if (isProblem(r)) return r;
      if (e.op === "+") return combine(l, r, 1n, e);
      if (r.operator !== undefined) return tooComplex(e);
      if (e.op === "-") {
        // sym - sym of the same name cancels, as gas folds it.
        if (l.plus !== undefined && l.plus === r.plus && l.minus === r.minus && l.operator === undefined) return { addend: wrap(l.addend - r.addend) };
        return combine(l, { addend: r.addend, plus: r.minus, minus: r.plus } as Value, -1n, e);
      }
      if (l.plus !== undefined || l.minus !== undefined || r.plus !== undefined || r.minus !== undefined) return tooComplex(e);
      return arithmetic(e.op, l.addend, r.addend, e);
    }
  }
}

function tooComplex(e: Expr): SyntaxProblem {
  return problem("PV1018", "expression is too complex for a relocation (only sym + constant, or sym - sym, may remain)", e.start, e.end);
}

function combine(l: Value, r: Value, sign: bigint, e: Expr): Value | SyntaxProblem {
  const addend = wrap(l.addend + sign * r.addend);
  let plus = l.plus;
  let minus = l.minus;
  if (r.plus !== undefined) {
    if (plus !== undefined) return tooComplex(e);
    plus = r.plus;
  }
  if (r.minus !== undefined) {
    if (minus !== undefined) return tooComplex(e);
    minus = r.minus;
  }
  const operator = l.operator ?? r.operator;
  if (plus !== undefined && plus === minus && operator === undefined) return { addend };
  const v: { addend: bigint; plus?: string; minus?: string; operator?: number } = { addend };
  if (plus !== undefined) v.plus = plus;
  if (minus !== undefined) v.minus = minus;
  if (operator !== undefined) v.operator = operator;
  return v;
}

function arithmetic(op: string, a: bigint, b: bigint, e: Expr): Value | SyntaxProblem {
  const sa = BigInt.asIntN(64, a);
  const sb = BigInt.asIntN(64, b);
  const bool = (x: boolean) => ({ addend: x ? wrap(-1n) : 0n });
  switch (op) {
    case "*":
      return { addend: wrap(a * b) };
    case "/":
    case "%":
      if (b === 0n) return problem("PV1018", "division by zero", e.start, e.end);
      return { addend: wrap(op === "/" ? sa / sb : sa % sb) };
    case "<<":
      return { addend: b >= 64n ? 0n : wrap(a << b) };
    case ">>":
      return { addend: b >= 64n ? 0n : a >> b };
    case "|":
      return { addend: a | b };
    case "&":
      return { addend: a & b };
    case "^":
      return { addend: a ^ b };
    case "!":
      return { addend: wrap(a | ~b) };
    case "==":
      return bool(a === b);
    case "!=":
    case "<>":
      return bool(a !== b);
    case "<":
      return bool(sa < sb);
    case ">":
      return bool(sa > sb);
    case "<=":
      return bool(sa <= sb);
    case ">=":
      return bool(sa >= sb);
    case "&&":
      return { addend: a !== 0n && b !== 0n ? 1n : 0n };
    case "||":
      return { addend: a !== 0n || b !== 0n ? 1n : 0n };
  }
  return problem("PV1002", `unknown operator ${op}`, e.start, e.end);
}
