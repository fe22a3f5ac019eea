/**
 * Lazy flags. The arithmetic instructions compiled inline (add, sub, and, inc, cmp, ...) do not
 * compute CF PF AF ZF SF OF: they leave a record of the operation (its kind, size, operands
 * and result, all JS consts in the generated code) and the flags are derived from it only
 * where something reads them. Most records are never read, because the next arithmetic
 * instruction replaces them; a `jcc` right after a `cmp` tests the operands directly
 * (`a < b`) instead of going through CF and ZF.
 *
 * Where the record lives is tracked at compile time, per point in the generated code:
 * - `cpu`: C.fl holds the flags (or they are dead: overwritten before anything reads them);
 * - `record`: a record of consts in scope;
 * - `locals`: the record passed from another block of the same region in the locals
 *   `fk fs fa fah fb fbh fc fr frh` (fk = 0 means C.fl holds the flags).
 * The flags are materialised into C.fl (`Cpu.arithFlags`) at region exits, before helpers
 * that read or write C.fl, and on the slow path before anything that can fault.
 */
import { ARITH, CF, FLAGS_ADD, FLAGS_DEC, FLAGS_INC, FLAGS_LOGIC, FLAGS_SUB, OF, PF, SF, ZF } from "./cpu.js";
import type { Val } from "./emit.js";

export type FlagKind = typeof FLAGS_ADD | typeof FLAGS_SUB | typeof FLAGS_LOGIC | typeof FLAGS_INC | typeof FLAGS_DEC;

/**
 * One flag-producing operation, as generated-code expressions that stay valid while the record
 * is pending: res = a + b + c (add), a - b - c (sub), the result of and/or/xor/test (logic:
 * a and b unused), a ± 1 (inc/dec: b is 1, and c is the CF they leave as it was).
 */
export interface FlagRecord {
  readonly kind: FlagKind;
  readonly size: number;
  readonly a: Val;
  readonly b: Val;
  readonly c: string;
  readonly res: Val;
}

export type FlagState = { readonly where: "cpu" } | { readonly where: "locals" } | { readonly where: "record"; readonly record: FlagRecord };

export const IN_CPU: FlagState = { where: "cpu" };
export const IN_LOCALS: FlagState = { where: "locals" };

/** The locals a record travels in between the blocks of a region, and their initial values. */
export const FLAG_LOCALS = "let fk = 0, fs = 0, fa = 0, fah = 0, fb = 0, fbh = 0, fc = 0, fr = 0, frh = 0;";

const ARITH_CLEAR = ~ARITH;
/** The flags each condition-code pair (o, b, e, be, s, p, l, le) reads. */
const CONDITION_FLAGS = [OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF];

/** The flags condition code cc (0-15, hardware order) reads. */
export function conditionFlags(cc: number): number {
  return CONDITION_FLAGS[cc >> 1]!;
}

/** The expression computing a record's arithmetic flags (an rflags image with only those bits). */
export function flagsImage(r: FlagRecord): string {
  const { a, b, res } = r;
  return `C.arithFlags(${r.kind}, ${r.size}, ${a.lo}, ${a.hi}, ${b.lo}, ${b.hi}, ${r.c}, ${res.lo}, ${res.hi})`;
}

/** Statements that make C.fl exact for a state (none for `cpu`). */
export function materialize(state: FlagState): string {
  switch (state.where) {
    case "cpu":
      return "";
    case "locals":
      return `if (fk !== 0) C.fl = (C.fl & ${ARITH_CLEAR}) | C.arithFlags(fk, fs, fa, fah, fb, fbh, fc, fr, frh);`;
    case "record":
      return `C.fl = (C.fl & ${ARITH_CLEAR}) | ${flagsImage(state.record)};`;
  }
}

/** Statements that hand a state to another block of the region through the flag locals. */
export function toLocals(state: FlagState): string {
  switch (state.where) {
    case "cpu":
      return "fk = 0;";
    case "locals":
      return "";
    case "record": {
      const { a, b, res, kind, size, c } = state.record;
      return `fk = ${kind}; fs = ${size}; fa = ${a.lo}; fah = ${a.hi}; fb = ${b.lo}; fbh = ${b.hi}; fc = ${c}; fr = ${res.lo}; frh = ${res.hi};`;
    }
  }
}

/** Condition code cc tested on a flags image (C.fl, or a const holding `arithFlags`). */
export function imageCondition(cc: number, image: string): string {
  const sfNeOf = `(((${image} >>> 7) ^ (${image} >>> 11)) & 1) !== 0`;
  const base = [
    `(${image} & 2048) !== 0`,
    `(${image} & 1) !== 0`,
    `(${image} & 64) !== 0`,
    `(${image} & 65) !== 0`,
    `(${image} & 128) !== 0`,
    `(${image} & 4) !== 0`,
    sfNeOf,
    `((${image} & 64) !== 0 || ${sfNeOf})`,
  ][cc >> 1]!;
  return cc & 1 ? `!(${base})` : base;
}

/**
 * Condition code cc straight from a record's operands, or undefined where going through the
 * flags image is as good (PF, and the rarer kind and condition pairs).
 */
export function recordCondition(cc: number, r: FlagRecord): string | undefined {
  const base = recordConditionBase(cc >> 1, r);
  if (base === undefined) return undefined;
  return cc & 1 ? `!(${base})` : base;
}

function recordConditionBase(test: number, r: FlagRecord): string | undefined {
  const wide = r.size === 64;
  // 32- and 64-bit values are int32 halves, whose own sign is the value's; 8- and 16-bit ones are masked.
  const narrow = r.size < 32;
  const sign = 1 << (r.size - 1);
  /** The 32-bit word that holds a value's sign bit. */
  const top = (v: Val) => (wide ? v.hi : v.lo);
  const signOf = (x: string) => (narrow ? `(${x} & ${sign}) !== 0` : `${x} < 0`);
  const { a, b, c, res, kind } = r;
  const zero = wide ? `(${res.lo} | ${res.hi}) === 0` : `${res.lo} === 0`;
  const negative = signOf(top(res));
  const unsigned = (x: string) => (narrow ? x : `(${x} >>> 0)`);
  const below = (x: Val, y: Val, orEqual: boolean) => {
    const lo = `${unsigned(x.lo)} ${orEqual ? "<=" : "<"} ${unsigned(y.lo)}`;
    return wide ? `(${unsigned(x.hi)} < ${unsigned(y.hi)} || (${x.hi} === ${y.hi} && ${lo}))` : `(${lo})`;
  };
  const signedBelow = (orEqual: boolean) => {
    const op = orEqual ? "<=" : "<";
    if (wide) return `(${a.hi} < ${b.hi} || (${a.hi} === ${b.hi} && ${unsigned(a.lo)} ${op} ${unsigned(b.lo)}))`;
    if (!narrow) return `(${a.lo} ${op} ${b.lo})`;
    // Flipping the sign bit turns the signed order of s-bit values into the unsigned one.
    return `((${a.lo} ^ ${sign}) ${op} (${b.lo} ^ ${sign}))`;
  };
  const adds = kind === FLAGS_ADD || kind === FLAGS_INC;
  const overflow = signOf(adds ? `((${top(a)} ^ ${top(res)}) & (${top(b)} ^ ${top(res)}))` : `((${top(a)} ^ ${top(b)}) & (${top(a)} ^ ${top(res)}))`);
  const same = (x: Val, y: Val) => (wide ? `(${x.lo} === ${y.lo} && ${x.hi} === ${y.hi})` : `${x.lo} === ${y.lo}`);
  const withCarry = (plain: string, x: Val, y: Val) => (c === "0" ? plain : `(${plain} || (${c} !== 0 && ${same(x, y)}))`);
  const carry =
    kind === FLAGS_ADD ? withCarry(below(res, a, false), res, a) : kind === FLAGS_SUB ? withCarry(below(a, b, false), a, b) : `${c} !== 0`;
  if (kind === FLAGS_LOGIC) {
    // CF = OF = 0.
    return ["false", "false", zero, zero, negative, undefined, negative, `(${zero} || ${negative})`][test];
  }
  const plainSub = kind === FLAGS_SUB && c === "0";
  switch (test) {
    case 0:
      return overflow;
    case 1:
      return carry;
    case 2:
      return zero;
    case 3:
      return plainSub ? below(a, b, true) : `(${carry} || ${zero})`;
    case 4:
      return negative;
    case 6:
      return plainSub ? signedBelow(false) : `(${negative}) !== (${overflow})`;
    case 7:
      return plainSub ? signedBelow(true) : `(${zero} || (${negative}) !== (${overflow}))`;
  }
  return undefined;
}

