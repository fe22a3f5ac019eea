/**
 * AT&T syntax: one instruction statement (prefix words, mnemonic, operands) parsed into a
 * ParsedInstruction, then matched against the table's forms into an Instruction.
 *
 * Matching follows GNU as: the forms of a mnemonic are tried in table order and the first whose
 * operand types accept the operands wins; immediates are narrowed the way gas narrows them
 * (a 16/32-bit operation reads an unsigned immediate as signed, so `addl $0xffffffff,%eax`
 * fits the sign-extended imm8 form). Errors are SyntaxProblem values located in the text.
 */
import { isGpr, registerByName, type Register } from "./registers.js";
import { formsForMnemonic, FORMS, type Form, type OperandType } from "./table.js";
import type { Instruction, Operand, Prefixes, SymbolRef } from "./instruction.js";
import { isProblem, parseExpr, problem, type Expr, type SyntaxProblem, type Value } from "./expr.js";

/** A symbol reference that may also subtract a second symbol (`$end-start`, `sym-.`). */
export interface SymbolTerm extends SymbolRef {
  readonly minus?: string;
}

export type ParsedOperand =
  | { readonly kind: "reg"; readonly reg: Register; readonly indirect: boolean; readonly start: number; readonly end: number }
  | { readonly kind: "imm"; readonly expr: Expr; readonly start: number; readonly end: number }
  | {
      readonly kind: "mem";
      readonly seg?: Register;
      readonly base?: Register;
      readonly index?: Register;
      readonly scale: 1 | 2 | 4 | 8;
      /** Absent when the operand has no displacement text (`(%rax)`). */
      readonly disp?: Expr;
      readonly indirect: boolean;
      readonly start: number;
      readonly end: number;
    };

export interface PrefixWord {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export interface ParsedInstruction {
  readonly prefixes: readonly PrefixWord[];
  /** Lower-case mnemonic; empty for a statement of prefix words only (`lock`, `rep`). */
  readonly mnemonic: string;
  readonly mnemonicStart: number;
  readonly mnemonicEnd: number;
  readonly operands: readonly ParsedOperand[];
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
]);

const isSpace = (c: number) => c === 32 || c === 9;
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46;

function trim(text: string, start: number, end: number): [number, number] {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return [start, end];
}

/** Parses the statement text[start..end) (no comments, no separators) as an instruction. */
export function parseInstruction(text: string, start: number, end: number): ParsedInstruction | SyntaxProblem {
  [start, end] = trim(text, start, end);
  const prefixes: PrefixWord[] = [];
  let pos = start;
  for (;;) {
    const wordStart = pos;
    while (pos < end && isWordChar(text.charCodeAt(pos))) pos++;
    if (pos === wordStart) return problem("PV1002", `expected a mnemonic, found '${text.slice(wordStart, end)}'`, wordStart, end);
    const word = text.slice(wordStart, pos).toLowerCase();
    const wordEnd = pos;
    while (pos < end && isSpace(text.charCodeAt(pos))) pos++;
    if (PREFIX_BYTES.has(word)) {
      prefixes.push({ name: word, start: wordStart, end: wordEnd });
      if (pos >= end) return { prefixes, mnemonic: "", mnemonicStart: wordEnd, mnemonicEnd: wordEnd, operands: [] };
      continue;
    }
    const operands: ParsedOperand[] = [];
    if (pos < end) {
      for (const [s, e] of splitOperands(text, pos, end)) {
        const op = parseOperand(text, s, e);
        if (isProblem(op)) return op;
        operands.push(op);
      }
    }
    return { prefixes, mnemonic: word, mnemonicStart: wordStart, mnemonicEnd: wordEnd, operands };
  }
}

/** Splits at commas outside parentheses and quotes (directive arguments use it too). */
export function splitOperands(text: string, start: number, end: number): [number, number][] {
  const parts: [number, number][] = [];
  let depth = 0;
  let from = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < end && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 44 && depth === 0) {
      parts.push(trim(text, from, i));
      from = i + 1;
    } else if (c === 39 && i + 1 < end) i++; // 'c character literal: the next character is data
  }
  parts.push(trim(text, from, end));
  return parts;
}

function parseRegister(text: string, start: number, end: number): { reg: Register; end: number } | SyntaxProblem {
  let p = start + 1;
  while (p < end && isWordChar(text.charCodeAt(p))) p++;
  const name = text.slice(start + 1, p);
  const reg = registerByName(name);
  if (!reg) return problem("PV1009", `bad register name '%${name}'`, start, p);
  return { reg, end: p };
}

/** Parses one operand text[start..end) (already trimmed). */
export function parseOperand(text: string, start: number, end: number): ParsedOperand | SyntaxProblem {
  if (start >= end) return problem("PV1002", "missing operand", start, end);
  let pos = start;
  let indirect = false;
  if (text.charCodeAt(pos) === 42) {
    indirect = true;
    pos++;
    while (pos < end && isSpace(text.charCodeAt(pos))) pos++;
  }
  const c = text.charCodeAt(pos);
  if (c === 36) {
    if (indirect) return problem("PV1002", "an immediate cannot be an indirect target", start, end);
    const expr = parseExpr(text, pos + 1, end);
    if (isProblem(expr)) return expr;
    return { kind: "imm", expr, start, end };
  }
  let seg: Register | undefined;
  if (c === 37) {
    const r = parseRegister(text, pos, end);
    if (isProblem(r)) return r;
    let p = r.end;
    while (p < end && isSpace(text.charCodeAt(p))) p++;
    if (p >= end) return { kind: "reg", reg: r.reg, indirect, start, end };
    if (text.charCodeAt(p) !== 58) return problem("PV1002", `junk '${text.slice(p, end)}' after register`, p, end);
    if (r.reg.cls !== "seg") return problem("PV1008", `'%${r.reg.name}' is not a segment register`, pos, r.end);
    seg = r.reg;
    pos = p + 1;
    while (pos < end && isSpace(text.charCodeAt(pos))) pos++;
  }
  return parseMemory(text, pos, end, start, seg, indirect);
}

function parseMemory(
  text: string,
  pos: number,
  end: number,
  start: number,
  seg: Register | undefined,
  indirect: boolean,
): ParsedOperand | SyntaxProblem {
  let dispEnd = end;
  let base: Register | undefined;
  let index: Register | undefined;
  let scale: 1 | 2 | 4 | 8 = 1;
  if (end > pos && text.charCodeAt(end - 1) === 41) {
    // Find the '(' matching the final ')'; it opens a base/index part when it holds a register or a comma.
    let depth = 0;
    let open = -1;
    for (let i = end - 1; i >= pos; i--) {
      const ch = text.charCodeAt(i);
      if (ch === 41) depth++;
      else if (ch === 40 && --depth === 0) {
        open = i;
        break;
      }
    }
    if (open < 0) return problem("PV1002", "unbalanced parentheses", start, end);
    let q = open + 1;
    while (q < end && isSpace(text.charCodeAt(q))) q++;
    const first = text.charCodeAt(q);
    if (first === 37 || first === 44) {
      dispEnd = open;
      const parts = splitOperands(text, open + 1, end - 1);
      if (parts.length > 3) return invalidBaseIndex(text, open, end);
      const [bs, be] = parts[0]!;
      if (be > bs) {
        if (text.charCodeAt(bs) !== 37) return invalidBaseIndex(text, open, end);
        const r = parseRegister(text, bs, be);
        if (isProblem(r)) return r;
        if (r.end !== be) return invalidBaseIndex(text, open, end);
        base = r.reg;
      }
      if (parts.length >= 2) {
        const [is, ie] = parts[1]!;
        if (ie > is) {
          if (text.charCodeAt(is) !== 37) return invalidBaseIndex(text, open, end);
          const r = parseRegister(text, is, ie);
          if (isProblem(r)) return r;
          if (r.end !== ie) return invalidBaseIndex(text, open, end);
          index = r.reg;
        } else if (parts.length === 2) return invalidBaseIndex(text, open, end);
      }
      if (parts.length === 3) {
        const [ss, se] = parts[2]!;
        const s = text.slice(ss, se);
        if (s !== "1" && s !== "2" && s !== "4" && s !== "8")
          return problem("PV1008", `expecting scale factor of 1, 2, 4, or 8: got '${s}'`, ss, Math.max(se, ss + 1));
        scale = Number(s) as 1 | 2 | 4 | 8;
      }
      const bad = checkBaseIndex(base, index);
      if (bad) return problem("PV1008", `'${text.slice(open, end)}' is not a valid base/index expression: ${bad}`, open, end);
    }
  }
  [pos, dispEnd] = trim(text, pos, dispEnd);
  let disp: Expr | undefined;
  if (dispEnd > pos) {
    const e = parseExpr(text, pos, dispEnd);
    if (isProblem(e)) return e;
    disp = e;
  } else if (!base && !index && seg === undefined) return problem("PV1002", "missing operand", start, end);
  const op: { -readonly [K in keyof MemoryParse]: MemoryParse[K] } = { kind: "mem", scale, indirect, start, end };
  if (seg) op.seg = seg;
  if (base) op.base = base;
  if (index) op.index = index;
  if (disp) op.disp = disp;
  return op;
}

type MemoryParse = Extract<ParsedOperand, { kind: "mem" }>;

function invalidBaseIndex(text: string, open: number, end: number): SyntaxProblem {
  return problem("PV1008", `'${text.slice(open, end)}' is not a valid base/index expression`, open, end);
}

function checkBaseIndex(base: Register | undefined, index: Register | undefined): string | undefined {
  const addressWidth = (r: Register) => (r.cls === "gpr64" || (r.cls === "rip" && r.bits === 64) ? 64 : r.cls === "gpr32" || r.cls === "rip" ? 32 : 0);
  if (base && addressWidth(base) === 0) return `%${base.name} cannot be a base register`;
  if (index) {
    if (index.cls !== "gpr64" && index.cls !== "gpr32") return `%${index.name} cannot be an index register`;
    if (index.num === 4) return `%${index.name} cannot be an index register`;
    if (base?.cls === "rip") return "%rip-relative addressing takes no index";
    if (base && addressWidth(base) !== addressWidth(index)) return "base and index registers must have the same width";
  }
  return undefined;
}

/** What the matcher needs from the assembler: the value of an expression where it stands. */
export type Evaluator = (e: Expr) => Value | SyntaxProblem;

interface OperandValue {
  readonly parsed: ParsedOperand;
  /** Constant value, or the addend of `sym`. */
  readonly value: bigint;
  readonly symbol?: SymbolTerm;
}

export interface MatchResult {
  readonly instruction: Instruction;
  /** For a relaxable branch (jmp, jcc) matched in its rel8 form: the rel32 form. */
  readonly longForm?: Form;
}

/** The rel32 sibling of a rel8 branch form (same mnemonic and condition), if any. */
export function longBranchForm(form: Form): Form | undefined {
  const op = form.operands[0];
  if (form.operands.length !== 1 || op?.t !== "rel" || op.bits !== 8) return undefined;
  return LONG_BRANCH.get(form.id);
}

const LONG_BRANCH = new Map<number, Form>();
for (const f of FORMS) {
  if (f.operands.length !== 1 || f.operands[0]!.t !== "rel" || (f.operands[0] as { bits: number }).bits !== 8) continue;
  const long = FORMS.find((g) => g.mnemonic === f.mnemonic && g.cc === f.cc && g.operands.length === 1 && g.operands[0]!.t === "rel" && (g.operands[0] as { bits: number }).bits === 32);
  if (long) LONG_BRANCH.set(f.id, long);
}

/** Forms whose spelling set has several operand sizes: a suffix-less spelling needs a register to size it. */
function distinctSizes(forms: readonly Form[]): boolean {
  for (const f of forms) if (f.opsize !== forms[0]!.opsize) return true;
  return false;
}

/**
 * Matches a parsed instruction to the first form (in table order) that accepts its operands,
 * and builds the Instruction. `evaluate` folds operand expressions (known absolute symbols
 * become constants; labels stay symbolic).
 */
export function matchInstruction(parsed: ParsedInstruction, evaluate: Evaluator): MatchResult | SyntaxProblem {
  const candidates = formsForMnemonic(parsed.mnemonic);
  if (candidates.length === 0) return problem("PV1001", `unknown instruction mnemonic '${parsed.mnemonic}'`, parsed.mnemonicStart, parsed.mnemonicEnd);
  const values: OperandValue[] = [];
  for (const op of parsed.operands) {
    if (op.kind === "reg") {
      values.push({ parsed: op, value: 0n });
      continue;
    }
    const expr = op.kind === "imm" ? op.expr : op.disp;
    if (!expr) {
      values.push({ parsed: op, value: 0n });
      continue;
    }
    const v = evaluate(expr);
    if (isProblem(v)) return v;
    if (v.plus === undefined && v.minus !== undefined)
      return problem("PV1018", "a symbol may only be subtracted from another symbol", expr.start, expr.end);
    if (v.plus === undefined) values.push({ parsed: op, value: v.addend });
    else values.push({ parsed: op, value: v.addend, symbol: v.minus === undefined ? { name: v.plus } : { name: v.plus, minus: v.minus } });
  }

  const matching: Form[] = [];
  // For the error message: the form that came closest. Registers and memory that fit weigh more
  // than an immediate that fits (so `movb $300,%al` blames the immediate, not %al), and at equal
  // closeness a size or range problem says more than a plain type mismatch.
  let best: { score: number; form: Form; operand: number; fail: Fail } | undefined;
  for (const form of candidates) {
    if (form.operands.length !== values.length) continue;
    let failAt = -1;
    let fail = Fail.None;
    let score = 0;
    for (let i = 0; i < values.length; i++) {
      const f = operandFit(form, form.operands[i]!, values[i]!);
      if (f === Fail.None) score += values[i]!.parsed.kind === "imm" ? 1 : 2;
      else if (failAt < 0 || (fail === Fail.Type && f !== Fail.Type)) {
        failAt = i;
        fail = f;
      }
    }
    if (failAt < 0) {
      matching.push(form);
      continue;
    }
    if (matching.length === 0 && (!best || score > best.score || (score === best.score && best.fail === Fail.Type && fail !== Fail.Type)))
      best = { score, form, operand: failAt, fail };
  }
  if (matching.length === 0) {
    if (best) return explain(best.form, best.form.operands[best.operand]!, values[best.operand]!, parsed.mnemonic, best.fail);
    const counts = [...new Set(candidates.map((f) => f.operands.length))].sort();
    const where = parsed.operands.length ? { s: parsed.operands[0]!.start, e: parsed.operands[parsed.operands.length - 1]!.end } : { s: parsed.mnemonicStart, e: parsed.mnemonicEnd };
    return problem("PV1003", `'${parsed.mnemonic}' takes ${counts.join(" or ")} operand${counts.length === 1 && counts[0] === 1 ? "" : "s"}, not ${parsed.operands.length}`, where.s, where.e);
  }
  let form = matching[0]!;
  // Without a suffix or a register, push/pop and near branches are 64-bit (gas's default).
  if (distinctSizes(matching) && matching.every((f) => f.default64)) form = matching.find((f) => f.opsize === 64) ?? form;
  else if (distinctSizes(matching)) {
    const mem = parsed.operands.find((o) => o.kind === "mem");
    const at = mem ?? parsed.operands[0];
    return problem(
      "PV1006",
      `no size suffix on '${parsed.mnemonic}' and no register operand to size it; write ${[...new Set(matching.map((f) => f.printSized))].join(", ")}`,
      at ? at.start : parsed.mnemonicStart,
      at ? at.end : parsed.mnemonicEnd,
    );
  }
  const prefixes = prefixesOf(parsed, form, values);
  if (isProblem(prefixes)) return prefixes;
  const operands = values.map((v, i) => toOperand(form.operands[i]!, v, form));
  const instruction: Instruction = { form, operands, prefixes };
  const longForm = longBranchForm(form);
  return longForm ? { instruction, longForm } : { instruction };
}

function prefixesOf(parsed: ParsedInstruction, form: Form, values: readonly OperandValue[]): Prefixes | SyntaxProblem {
  const p: { lock?: boolean; rep?: "rep" | "repne"; seg?: Register; data16?: number } = {};
  const memSeg = values.find((v) => v.parsed.kind === "mem" && v.parsed.seg)?.parsed as { seg?: Register } | undefined;
  for (const w of parsed.prefixes) {
    const twice = () => problem("PV1015", "same type of prefix used twice", w.start, w.end);
    if (w.name === "lock") {
      if (p.lock) return twice();
      const dest = values[values.length - 1]?.parsed;
      if (!form.lockable || dest?.kind !== "mem")
        return problem("PV1015", `expecting a lockable instruction with a memory destination after 'lock'`, parsed.mnemonicStart, parsed.mnemonicEnd);
      p.lock = true;
    } else if (w.name.startsWith("rep")) {
      if (p.rep || form.mandatoryPrefixes.some((b) => b === 0xf2 || b === 0xf3)) return twice();
      if (!form.repable) return problem("PV1015", `invalid instruction '${parsed.mnemonic}' after '${w.name}'`, parsed.mnemonicStart, parsed.mnemonicEnd);
      p.rep = w.name === "repne" || w.name === "repnz" ? "repne" : "rep";
    } else if (w.name === "data16") {
      if (p.data16 || form.opsizePrefix || form.mandatoryPrefixes.includes(0x66)) return twice();
      p.data16 = 1;
    } else {
      if (p.seg || memSeg?.seg) return twice();
      p.seg = registerByName(w.name)!;
    }
  }
  return p;
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

function operandFit(form: Form, type: OperandType, v: OperandValue): Fail {
  const op = v.parsed;
  if (op.kind !== "imm" && op.indirect !== form.indirect) return Fail.Indirect;
  switch (type.t) {
    case "reg":
    case "opreg":
    case "rmreg":
    case "rm":
      if (op.kind === "mem") return type.t === "rm" ? displacementFit(v) : Fail.Type;
      if (op.kind !== "reg" || !isGpr(op.reg)) return Fail.Type;
      return op.reg.bits === type.bits ? Fail.None : Fail.Size;
    case "mem":
      return op.kind === "mem" ? displacementFit(v) : Fail.Type;
    case "fixed":
      if (op.kind !== "reg" || !isGpr(op.reg)) return Fail.Type;
      if (op.reg.bits !== type.reg.bits) return Fail.Size;
      return op.reg.num === type.reg.num && op.reg.cls === type.reg.cls ? Fail.None : Fail.Type;
    case "creg":
      return op.kind === "reg" && op.reg.cls === "cr" ? Fail.None : Fail.Type;
    case "dreg":
      return op.kind === "reg" && op.reg.cls === "dr" ? Fail.None : Fail.Type;
    case "one":
      return op.kind === "imm" && !v.symbol && v.value === (type.value === 1 ? 1n : 3n) ? Fail.None : Fail.Type;
    case "rel":
      return op.kind === "mem" && !op.base && !op.index && !op.seg && !op.indirect ? Fail.None : Fail.Type;
    case "moffs":
      return op.kind === "mem" && !op.base && !op.index ? Fail.None : Fail.Type;
    case "imm":
      return op.kind === "imm" ? immediateFit(form, type, v) : Fail.Type;
  }
}

function explain(form: Form, type: OperandType, v: OperandValue, mnemonic: string, fail: Fail): SyntaxProblem {
  const op = v.parsed;
  const at = (code: string, message: string) => problem(code, message, op.start, op.end);
  switch (fail) {
    case Fail.Indirect:
      return at("PV1003", form.indirect ? `'${mnemonic}' needs an indirect operand (*)` : `'*' is only valid on a branch or call target`);
    case Fail.Size: {
      const reg = (op as { reg: Register }).reg;
      const expected = type.t === "fixed" ? `%${type.reg.name}` : `a ${SIZE_WORD[(type as { bits: number }).bits]} register`;
      return at("PV1004", `operand size mismatch for '${mnemonic}': %${reg.name} is ${SIZE_WORD[reg.bits]}, expected ${expected}`);
    }
    case Fail.Displacement:
      return at("PV1008", `displacement ${formatValue(BigInt.asIntN(64, v.value))} does not fit in a signed 32-bit field`);
    case Fail.SymbolicImmediate:
      return at("PV1003", "a symbolic immediate needs a 32-bit field");
    case Fail.Range: {
      const t = type as { bits: number; signExtended: boolean };
      const signExtended = t.signExtended || (t.bits === 32 && form.opsize === 64);
      return at(
        "PV1005",
        `immediate ${formatValue(narrowImmediate(v.value, form.opsize))} is out of range for ${signExtended ? "a sign-extended " : "an "}${t.bits}-bit field of '${mnemonic}'`,
      );
    }
    default:
      return at("PV1003", `operand type mismatch for '${mnemonic}'`);
  }
}

/** A constant displacement must fit the sign-extended disp32 of 64-bit addressing. */
function displacementFit(v: OperandValue): Fail {
  const op = v.parsed as Extract<ParsedOperand, { kind: "mem" }>;
  if (v.symbol || op.base?.bits === 32 || op.index?.bits === 32) return Fail.None;
  const d = BigInt.asIntN(64, v.value);
  return d >= -0x80000000n && d <= 0x7fffffffn ? Fail.None : Fail.Displacement;
}

/**
 * gas reads an immediate of a 16- or 32-bit operation that fits the width unsigned as signed
 * (so $0xffe0 in a 16-bit operation is -32 and fits a sign-extended imm8).
 */
export function narrowImmediate(value: bigint, opsize: number): bigint {
  if (opsize === 16 && value < 0x10000n) return BigInt.asIntN(16, value);
  if (opsize === 32 && value < 0x100000000n) return BigInt.asIntN(32, value);
  return BigInt.asIntN(64, value);
}

/** [signed min, signed limit, unsigned limit] per field width, so range checks allocate nothing. */
const BOUNDS: Record<number, readonly [bigint, bigint, bigint]> = {
  8: [-0x80n, 0x80n, 0x100n],
  16: [-0x8000n, 0x8000n, 0x10000n],
  32: [-0x80000000n, 0x80000000n, 0x100000000n],
};

function immediateFit(form: Form, type: { bits: 8 | 16 | 32 | 64; signExtended: boolean }, v: OperandValue): Fail {
  const n = type.bits;
  const opsize = form.opsize;
  // A sign-extended field narrower than the operation holds a symbol's value only at full width.
  const signExtended = type.signExtended || (n === 32 && opsize === 64);
  if (v.symbol) return signExtended && n < 32 ? Fail.SymbolicImmediate : Fail.None;
  if (n >= 64) return Fail.None;
  const s = narrowImmediate(v.value, opsize);
  const [min, signedLimit, unsignedLimit] = BOUNDS[n]!;
  let ok: boolean;
  if (signExtended) ok = s >= min && s < signedLimit;
  else if (n === opsize) ok = s > -unsignedLimit && s < unsignedLimit;
  else ok = s >= min && s < unsignedLimit;
  return ok ? Fail.None : Fail.Range;
}

function formatValue(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

function toOperand(type: OperandType, v: OperandValue, form: Form): Operand {
  const op = v.parsed;
  if (op.kind === "reg") return { kind: "reg", reg: op.reg };
  if (op.kind === "imm") {
    const value = v.symbol ? v.value : type.t === "imm" ? BigInt.asUintN(64, narrowImmediate(v.value, form.opsize)) : v.value;
    return v.symbol ? { kind: "imm", value, symbol: v.symbol } : { kind: "imm", value };
  }
  if (type.t === "rel") return v.symbol ? { kind: "rel", target: v.value, symbol: v.symbol } : { kind: "rel", target: v.value };
  const mem: { -readonly [K in keyof Extract<Operand, { kind: "mem" }>]?: unknown } = { kind: "mem", scale: op.scale, disp: v.value };
  if (op.seg) mem.seg = op.seg;
  if (op.base) mem.base = op.base;
  if (op.index) mem.index = op.index;
  if (v.symbol) mem.symbol = v.symbol;
  return mem as Operand;
}
