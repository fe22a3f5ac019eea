/**
 * One semantics function per `sem` key of the instruction table. Each writes the JavaScript
 * that executes one decoded instruction, through the Emitter's operand helpers; the table
 * decides which rows share a key (all sizes of `add`, every cmovcc, ...), and the form's
 * operand size, operand types and `cc` specialise the code at compile time.
 *
 * The order of the emitted statements is part of the semantics: everything that can fault
 * (memory reads, probes of a store's destination, privilege checks) comes before the first
 * architectural change, so a faulting instruction leaves the state as it found it; the flag
 * record (`setFlags`) comes last. Arithmetic that lazy flags cover records its flags; the
 * rest materialises them (`flagsToCpu`) and works on C.fl through helpers.
 */
import type { Register } from "../x86/registers.js";
import { FLAGS_ADD, FLAGS_DEC, FLAGS_INC, FLAGS_LOGIC, FLAGS_SUB } from "./cpu.js";
import { constant, mask, RELOAD_MARK, type Emitter, type Val } from "./emit.js";

export type Semantics = (e: Emitter) => void;

function signExtend(e: Emitter, v: Val, from: number, to: number): Val {
  if (from >= to) return v;
  const x = from === 32 ? v.lo : e.let(`(${v.lo} << ${32 - from}) >> ${32 - from}`);
  return {
    lo: to >= 32 ? x : e.let(`${x} & ${mask(to)}`),
    hi: to === 64 ? e.let(`${x} >> 31`) : "0",
  };
}

const bswap32 = (x: string) => `((${x} << 24) | ((${x} & 0xff00) << 8) | ((${x} >>> 8) & 0xff00) | (${x} >>> 24))`;

// ---- stack ----

const rsp = (e: Emitter) => e.gpr(4, 64);

/** (lo, hi) + delta for a small delta, wrapping at 2^64: what moving rsp takes. */
function offset(e: Emitter, v: Val, delta: number): Val {
  const n = e.let(`(${v.lo} + ${delta}) | 0`);
  // A borrow when the low half was below -delta (unsigned); a carry when it wrapped past zero.
  const out = delta < 0 ? `(${v.lo} >>> 0) < ${-delta} ? 1 : 0` : `(${n} >>> 0) < ${delta} ? 1 : 0`;
  return { lo: n, hi: `(${v.hi} ${delta < 0 ? "-" : "+"} (${out})) | 0` };
}

/** Pushes a value: the store happens before rsp moves, so a faulting push changes nothing. */
function push(e: Emitter, v: Val, bits: number): void {
  const slot = e.bind(offset(e, e.readGpr(rsp(e)), -bits / 8));
  e.memWrite(slot, bits, v, true);
  e.writeGpr(rsp(e), slot);
}

/** Reads the top of the stack; `release` then moves rsp past it. */
function peek(e: Emitter, bits: number): Val {
  return e.memRead(e.readGpr(rsp(e)), bits, true);
}

function release(e: Emitter, bytes: number): void {
  e.writeGpr(rsp(e), offset(e, e.readGpr(rsp(e)), bytes));
}

// ---- arithmetic ----

type Binary = "add" | "adc" | "sub" | "sbb" | "cmp" | "and" | "or" | "xor" | "test";

/** The result of an add, sub (with a carry/borrow of 0 or 1) or bitwise operation at the instruction's size. */
function arithmetic(e: Emitter, kind: "add" | "sub" | "and" | "or" | "xor", a: Val, b: Val, carry: string): Val {
  const s = e.size;
  if (kind === "and" || kind === "or" || kind === "xor") {
    const op = kind === "and" ? "&" : kind === "or" ? "|" : "^";
    return { lo: e.let(`${a.lo} ${op} ${b.lo}`), hi: s === 64 ? bitwiseHigh(e, op, a.hi, b.hi) : "0" };
  }
  const sign = kind === "add" ? "+" : "-";
  const c = carry === "0" ? "" : ` ${sign} ${carry}`;
  const lo = e.let(s === 64 || s === 32 ? `(${a.lo} ${sign} ${b.lo}${c}) | 0` : `(${a.lo} ${sign} ${b.lo}${c}) & ${mask(s)}`);
  if (s < 64) return { lo, hi: "0" };
  // The carry out of (borrow from) the low half, as an unsigned comparison.
  const [x, y] = kind === "add" ? [lo, a.lo] : [a.lo, b.lo];
  const equal = kind === "add" ? `${lo} === ${a.lo}` : `${a.lo} === ${b.lo}`;
  const below = `(${x} >>> 0) < (${y} >>> 0)`;
  const out = carry === "0" ? below : `${below} || (${carry} !== 0 && ${equal})`;
  const high = b.hi === "0" ? a.hi : `${a.hi} ${sign} ${b.hi}`;
  return { lo, hi: e.let(`(${high} ${sign} (${out} ? 1 : 0)) | 0`) };
}

/** The high half of a 64-bit bitwise operation, folding the sign-extended immediates' all-ones and zero halves. */
function bitwiseHigh(e: Emitter, op: "&" | "|" | "^", a: string, b: string): string {
  if ((op === "&" && b === "-1") || (op !== "&" && b === "0")) return a;
  if (op === "&" && b === "0") return "0";
  return e.let(`${a} ${op} ${b}`);
}

function binary(op: Binary): Semantics {
  return (e) => {
    const writes = op !== "cmp" && op !== "test";
    const a = writes ? e.readModify(1) : e.read(1);
    const b = e.read(0, e.size);
    const c = op === "adc" || op === "sbb" ? e.carry() : "0";
    const kind = op === "adc" ? "add" : op === "sbb" || op === "cmp" ? "sub" : op === "test" ? "and" : op;
    const res = arithmetic(e, kind, a, b, c);
    if (writes) e.write(1, res);
    e.setFlags(kind === "add" ? FLAGS_ADD : kind === "sub" ? FLAGS_SUB : FLAGS_LOGIC, a, b, c, res);
  };
}

function incdec(delta: 1 | -1): Semantics {
  return (e) => {
    const a = e.readModify(0);
    const keep = e.carry();
    const one = constant(1n, e.size);
    const res = arithmetic(e, delta === 1 ? "add" : "sub", a, one, "0");
    e.write(0, res);
    e.setFlags(delta === 1 ? FLAGS_INC : FLAGS_DEC, a, one, keep, res);
  };
}

const not: Semantics = (e) => {
  const a = e.read(0);
  e.write(0, e.size === 64 ? { lo: `~${a.lo}`, hi: `~${a.hi}` } : e.size === 32 ? { lo: `~${a.lo}`, hi: "0" } : { lo: `~${a.lo} & ${mask(e.size)}`, hi: "0" });
};

const neg: Semantics = (e) => {
  const a = e.readModify(0);
  const zero = constant(0n, e.size);
  const res = arithmetic(e, "sub", zero, a, "0");
  e.write(0, res);
  e.setFlags(FLAGS_SUB, zero, a, "0", res);
};

function mulDiv(kind: "mul" | "div" | "idiv" | "imul"): Semantics {
  return (e) => {
    const a = e.read(0);
    e.callHelper(`H.mulDiv("${kind}", ${e.size}, ${a.lo}, ${a.hi});`, true);
  };
}

const imul: Semantics = (e) => {
  const s = e.size;
  const n = e.insn.operands.length;
  if (n === 1) return mulDiv("imul")(e);
  // imul Ev,Gv: Gv *= Ev; imul imm,Ev,Gv: Gv = Ev * imm.
  const a = e.read(1, s);
  const b = e.read(0, s);
  // Without its flags (did the product fit?), a 16- or 32-bit product is just its low bits.
  if (e.flagsDead && s < 64) return e.write(n - 1, { lo: e.let(s === 32 ? `Math.imul(${a.lo}, ${b.lo})` : `Math.imul(${a.lo}, ${b.lo}) & 65535`), hi: "0" });
  e.flagsToCpu();
  e.write(n - 1, helperResult(e, s === 64 ? `H.imul64(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi})` : `H.imul(${s}, ${a.lo}, ${b.lo})`, s === 64));
};

/** The value a helper returns (its high half left in C.hi when `wide`), as int32 halves. */
function helperResult(e: Emitter, call: string, wide: boolean): Val {
  return { lo: e.let(`${call} | 0`), hi: wide ? e.let("C.hi | 0") : "0" };
}

/** A shift count in %cl, or an immediate. */
function count(e: Emitter): string {
  return e.op(0).kind === "reg" ? e.readGpr(e.gpr(1, 8)).lo : String(e.immediateNumber(0));
}

/** Shift and rotate rows: the ModRM digit says which; the count is implicit 1, %cl or an imm8. */
const shift: Semantics = (e) => {
  const digit = e.form.modrm.kind === "digit" ? e.form.modrm.digit : 4;
  const n = e.insn.operands.length;
  const by = n === 1 ? "1" : count(e);
  const a = e.readModify(n - 1);
  const inline = e.flagsDead && /^\d+$/.test(by) ? shiftByConstant(e, digit, a, Number(by)) : undefined;
  if (inline) return e.write(n - 1, inline);
  e.flagsToCpu();
  e.write(n - 1, helperResult(e, `H.shift(${digit}, ${e.size}, ${a.lo}, ${a.hi}, ${by})`, e.size === 64));
};

/**
 * The value of a shift or rotate by a constant (digits 0 rol, 1 ror, 4 and 6 shl, 5 shr, 7
 * sar), for when no one reads its flags; undefined for rcl and rcr, which go through CF.
 */
function shiftByConstant(e: Emitter, digit: number, a: Val, by: number): Val | undefined {
  const s = e.size;
  const c = by & (s === 64 ? 63 : 31);
  if (digit === 2 || digit === 3) return undefined;
  if (c === 0) return a;
  if (s === 64) return shift64(e, digit, a, c);
  const m = mask(s);
  const narrow = (expr: string) => (s === 32 ? expr : `(${expr}) & ${m}`);
  switch (digit) {
    case 0:
    case 1: {
      const r = c % s;
      if (r === 0) return a;
      const [left, right] = digit === 0 ? [r, s - r] : [s - r, r];
      return { lo: e.let(narrow(`(${a.lo} << ${left}) | (${a.lo} >>> ${right})`)), hi: "0" };
    }
    case 5:
      return { lo: e.let(`${a.lo} >>> ${c}`), hi: "0" };
    case 7:
      // Sign-extend to 32 bits first; past the size, every bit is the sign.
      return { lo: e.let(narrow(`(${a.lo} << ${32 - s}) >> ${Math.min(31, 32 - s + c)}`)), hi: "0" };
    default:
      return { lo: e.let(narrow(`${a.lo} << ${c}`)), hi: "0" };
  }
}

/** A 64-bit shift or rotate by 1 to 63, on the halves. */
function shift64(e: Emitter, digit: number, a: Val, c: number): Val {
  if (digit === 0 || digit === 1) {
    // A rotate by 32 or more swaps the halves first.
    const r = digit === 0 ? c : 64 - c;
    const [lo, hi] = r >= 32 ? [a.hi, a.lo] : [a.lo, a.hi];
    const k = r % 32;
    if (k === 0) return { lo, hi };
    return { lo: e.let(`(${lo} << ${k}) | (${hi} >>> ${32 - k})`), hi: e.let(`(${hi} << ${k}) | (${lo} >>> ${32 - k})`) };
  }
  const fill = digit === 7 ? e.let(`${a.hi} >> 31`) : "0";
  const right = digit === 7 ? ">>" : ">>>";
  if (digit === 5 || digit === 7) {
    if (c >= 32) return { lo: c === 32 ? a.hi : e.let(`${a.hi} ${right} ${c - 32}`), hi: fill };
    return { lo: e.let(`(${a.lo} >>> ${c}) | (${a.hi} << ${32 - c})`), hi: e.let(`${a.hi} ${right} ${c}`) };
  }
  if (c >= 32) return { lo: "0", hi: c === 32 ? a.lo : e.let(`${a.lo} << ${c - 32}`) };
  return { lo: e.let(`${a.lo} << ${c}`), hi: e.let(`(${a.hi} << ${c}) | (${a.lo} >>> ${32 - c})`) };
}

function shiftDouble(left: boolean): Semantics {
  return (e) => {
    const by = count(e);
    const d = e.readModify(2);
    const src = e.read(1);
    e.flagsToCpu();
    e.write(2, helperResult(e, `H.shiftDouble(${left}, ${e.size}, ${d.lo}, ${d.hi}, ${src.lo}, ${src.hi}, ${by})`, e.size === 64));
  };
}

/** bt, bts, btr, btc: CF = the bit; the others then set, clear or flip it. */
function bitTest(kind: "bt" | "bts" | "btr" | "btc"): Semantics {
  return (e) => {
    const s = e.size;
    const writes = kind !== "bt";
    let value: Val;
    let bit: string;
    let addr: Val | undefined;
    if (e.op(0).kind === "imm") {
      bit = String(e.immediateNumber(0) & (s - 1));
      value = writes ? e.readModify(1) : e.read(1);
    } else {
      const offset = e.read(0);
      bit = e.let(`${offset.lo} & ${s - 1}`);
      if (e.isMemory(1)) {
        const base = e.ea(1);
        addr = helperResult(e, `H.bitAddress(${base.lo}, ${base.hi}, ${offset.lo}, ${offset.hi}, ${s})`, true);
        if (writes) e.probeWrite(addr, s / 8);
        value = e.memRead(addr, s);
      } else value = e.read(1);
    }
    const word = s === 64 ? e.let(`${bit} < 32 ? ${value.lo} : ${value.hi}`) : value.lo;
    const m = e.let(`1 << (${bit} & 31)`);
    e.flagsToCpu();
    e.emit(`C.fl = (C.fl & ~1) | ((${word} & ${m}) !== 0 ? 1 : 0);`);
    if (!writes) return;
    const change = (w: string) => `(${kind === "bts" ? `${w} | ${m}` : kind === "btr" ? `${w} & ~${m}` : `${w} ^ ${m}`})`;
    const res =
      s === 64
        ? { lo: e.let(`${bit} < 32 ? ${change(value.lo)} : ${value.lo}`), hi: e.let(`${bit} < 32 ? ${value.hi} : ${change(value.hi)}`) }
        : { lo: e.let(s === 32 ? change(value.lo) : `${change(value.lo)} & ${mask(s)}`), hi: "0" };
    if (addr) e.memWrite(addr, s, res);
    else e.write(1, res);
  };
}

/** A helper that computes a result and sets the flags in C.fl. */
function flagHelper(e: Emitter, call: string): string {
  e.flagsToCpu();
  return e.let(call);
}

function bitScan(forward: boolean): Semantics {
  return (e) => {
    const v = e.read(0);
    const i = flagHelper(e, `H.bitScan(${forward}, ${v.lo}, ${v.hi})`);
    // A zero source leaves the destination as it was (what AMD documents and Intel does).
    e.emit(`if (${i} >= 0) {`);
    e.write(1, { lo: i, hi: "0" });
    e.emit("}");
  };
}

function countBits(leading: boolean): Semantics {
  return (e) => {
    const v = e.read(0);
    e.write(1, { lo: flagHelper(e, `H.count(${leading}, ${e.size}, ${v.lo}, ${v.hi})`), hi: "0" });
  };
}

// ---- data movement ----

const mov: Semantics = (e) => e.write(1, e.read(0, e.bits(1)));

function extend(signed: boolean): Semantics {
  return (e) => {
    const from = e.bits(0);
    const v = e.read(0, from);
    e.write(1, signed ? signExtend(e, v, from, e.size) : v);
  };
}

const lea: Semantics = (e) => {
  const a = e.address64(e.op(0) as never, false);
  e.write(1, e.size === 64 ? a : { lo: e.size === 16 ? `${a.lo} & 65535` : a.lo, hi: "0" });
};

const xchg: Semantics = (e) => {
  const a = e.read(0);
  const b = e.read(1);
  // The memory side first: if it faults, no register has changed.
  if (e.isMemory(0)) {
    e.write(0, b);
    e.write(1, a);
  } else {
    e.write(1, a);
    e.write(0, b);
  }
};

const pushSem: Semantics = (e) => push(e, e.read(0, e.size), e.size);

const popSem: Semantics = (e) => {
  const bytes = e.size / 8;
  const v = peek(e, e.size);
  if (e.isMemory(0)) {
    // The destination address is computed with rsp already incremented, as the CPU does.
    e.rspBias = bytes;
    e.write(0, v, e.size);
    release(e, bytes);
  } else {
    release(e, bytes);
    e.write(0, v);
  }
};

const pushf: Semantics = (e) => {
  e.flagsToCpu();
  push(e, { lo: e.let(e.size === 16 ? "H.pushfValue() & 65535" : "H.pushfValue()"), hi: "0" }, e.size);
};

const popf: Semantics = (e) => {
  const v = peek(e, e.size);
  release(e, e.size / 8);
  e.flagsToCpu();
  e.emit(`H.loadFlags(${v.lo}, ${e.size});`);
};

const bswap: Semantics = (e) => {
  const v = e.read(0);
  e.write(0, e.size === 64 ? { lo: bswap32(v.hi), hi: bswap32(v.lo) } : { lo: bswap32(v.lo), hi: "0" });
};

/** cbw, cwde, cdqe: sign-extend the lower half of the accumulator into all of it. */
const cbw: Semantics = (e) => {
  const s = e.size;
  const src = e.gpr(0, s / 2);
  e.writeGpr(e.gpr(0, s), signExtend(e, e.bind(e.readGpr(src)), s / 2, s));
};

/** cwd, cdq, cqo: fill the data register with the accumulator's sign. */
const cwd: Semantics = (e) => {
  const s = e.size;
  const acc = e.bind(e.readGpr(e.gpr(0, s)));
  const sign = e.let(s === 16 ? `(${acc.lo} & 32768) !== 0` : `${s === 64 ? acc.hi : acc.lo} < 0`);
  const ones = s === 16 ? "65535" : "-1";
  e.writeGpr(e.gpr(2, s), { lo: `(${sign} ? ${ones} : 0)`, hi: s === 64 ? `(${sign} ? -1 : 0)` : "0" });
};

const cmovcc: Semantics = (e) => {
  const v = e.read(0);
  const cond = e.cond(e.form.cc);
  if (e.size === 32) {
    // A 32-bit cmov always writes its destination: a false condition still zero-extends it.
    const d = e.read(1);
    e.write(1, { lo: e.let(`${cond} ? ${v.lo} : ${d.lo}`), hi: "0" });
    return;
  }
  e.emit(`if (${cond}) {`);
  e.write(1, v);
  e.emit("}");
};

const setcc: Semantics = (e) => e.write(0, { lo: `(${e.cond(e.form.cc)} ? 1 : 0)`, hi: "0" });

// ---- control transfer ----

function target(e: Emitter, i: number): bigint {
  const o = e.op(i);
  if (o.kind !== "rel") throw new Error("not a branch target");
  return o.target;
}

const jcc: Semantics = (e) => e.branch(e.cond(e.form.cc), target(e, 0));

const jrcxz: Semantics = (e) => {
  const rcx = e.readGpr(e.gpr(1, 64));
  e.branch(`(${rcx.lo} | ${rcx.hi}) === 0`, target(e, 0));
};

const jmp: Semantics = (e) => {
  if (e.op(0).kind === "rel") e.jumpTo(target(e, 0));
  else e.jump(e.read(0, 64));
};

/** Calls a hook (when one is set) with the state synced and rip at `to`; it may change registers. */
function hook(e: Emitter, which: "onCall" | "onRet", call: string, to: Val): void {
  e.emit(`if (H.hooks.${which} !== undefined) { ${e.syncCode()} r[32] = ${to.lo}; r[33] = ${to.hi}; ${call} ${RELOAD_MARK} }`);
}

const call: Semantics = (e) => {
  const dest = e.op(0).kind === "rel" ? constant(target(e, 0), 64) : e.read(0, 64);
  push(e, constant(e.next, 64), 64);
  hook(e, "onCall", `H.call(${e.address}n, ${e.next}n);`, dest);
  e.jump(dest);
};

const ret: Semantics = (e) => {
  const v = peek(e, 64);
  release(e, 8 + (e.insn.operands.length ? e.immediateNumber(0) : 0));
  hook(e, "onRet", `H.ret(${e.address}n);`, v);
  e.jump(v);
};

const enter: Semantics = (e) => {
  e.writesMemory = true;
  e.callHelper(`H.enter(${e.immediateNumber(0)}, ${e.immediateNumber(1)});`, true);
};

const leave: Semantics = (e) => {
  const rbp = e.readGpr(e.gpr(5, 64));
  const v = e.memRead(rbp, 64, true);
  e.writeGpr(rsp(e), offset(e, rbp, 8));
  e.writeGpr(e.gpr(5, 64), v);
};

/** Instructions that leave rip where a helper put it. */
function transfer(call: (e: Emitter) => string): Semantics {
  return (e) => {
    e.callHelper(call(e), true);
    e.jump({ lo: "r[32]", hi: "r[33]" });
  };
}

// ---- system ----

const nothing: Semantics = () => {};

/** A helper that may fault or read the state; `writesRegisters` when it may change general registers. */
function helper(code: string, writesRegisters = false): Semantics {
  return (e) => e.callHelper(code, writesRegisters);
}

function flagOp(code: string): Semantics {
  return (e) => {
    e.flagsToCpu();
    e.emit(code);
  };
}

function table(which: "gdtr" | "idtr", load: boolean): Semantics {
  return (e) => {
    const a = e.ea(0);
    if (!load) e.writesMemory = true;
    e.callHelper(load ? `H.loadTable("${which}", ${a.lo}, ${a.hi});` : `H.storeTable("${which}", ${a.lo}, ${a.hi});`, false);
  };
}

function loadSelector(field: "tr" | "ldtr", name: string): Semantics {
  return (e) => {
    e.callHelper(`C.privileged("${name}");`, false);
    const v = e.read(0, 16);
    e.emit(`C.${field} = ${v.lo};`);
  };
}

function storeSelector(field: "tr" | "ldtr", name: string): Semantics {
  return (e) => {
    e.callHelper(`H.checkUmip("${name}");`, false);
    const o = e.op(0);
    // A 32-bit register destination gets the selector zero-extended into its low half and
    // keeps its upper half: what this CPU does (the general zero-extension rule does not apply).
    if (o.kind === "reg" && o.reg.cls === "gpr32") {
      const full = e.gpr(o.reg.num, 64);
      e.writeGpr(full, { lo: `C.${field}`, hi: e.readGpr(full).hi });
    } else e.write(0, { lo: `C.${field}`, hi: "0" }, e.isMemory(0) ? 16 : e.bits(0));
  };
}

function special(e: Emitter, i: number): Register {
  const o = e.op(i);
  if (o.kind !== "reg") throw new Error("expected a register");
  return o.reg;
}

/** mov to and from control (cr) or debug (db) registers. */
function moveSpecial(kind: "Control" | "Debug"): Semantics {
  return (e) => {
    const from = e.op(0).kind === "reg" && (special(e, 0).cls === "cr" || special(e, 0).cls === "dr");
    if (from) {
      e.sync();
      e.write(1, helperResult(e, `H.read${kind}(${special(e, 0).num})`, true));
    } else {
      const v = e.read(0);
      e.callHelper(`H.write${kind}(${special(e, 1).num}, ${v.lo}, ${v.hi});`, false);
    }
  };
}

function string(kind: "movs" | "stos" | "lods"): Semantics {
  return (e) => {
    const seg = e.insn.prefixes.seg?.name;
    e.writesMemory = kind !== "lods";
    e.callHelper(`H.string("${kind}", ${e.size / 8}, ${e.insn.prefixes.rep !== undefined}, ${seg === "fs" ? 0 : seg === "gs" ? 2 : -1});`, true);
  };
}

const cmpxchg: Semantics = (e) => {
  const s = e.size;
  const d = e.readModify(1);
  const src = e.read(0);
  const accReg = e.gpr(0, s);
  const acc = e.bind(e.readGpr(accReg));
  const res = arithmetic(e, "sub", acc, d, "0");
  const equal = e.let(s === 64 ? `${acc.lo} === ${d.lo} && ${acc.hi} === ${d.hi}` : `${acc.lo} === ${d.lo}`);
  if (e.isMemory(1)) {
    // The locked cycle always writes: the source when equal, else the old value back.
    e.write(1, { lo: e.let(`${equal} ? ${src.lo} : ${d.lo}`), hi: s === 64 ? e.let(`${equal} ? ${src.hi} : ${d.hi}`) : "0" });
    e.emit(`if (!${equal}) {`);
    e.writeGpr(accReg, d);
    e.emit("}");
  } else {
    // A register destination that does not match keeps its value, upper half included (as this CPU does).
    e.emit(`if (${equal}) {`);
    e.write(1, src);
    e.emit("} else {");
    e.writeGpr(accReg, d);
    e.emit("}");
  }
  e.setFlags(FLAGS_SUB, acc, d, "0", res);
};

const xadd: Semantics = (e) => {
  const d = e.readModify(1);
  const src = e.read(0);
  const sum = arithmetic(e, "add", d, src, "0");
  if (e.isMemory(1)) {
    e.write(1, sum);
    e.write(0, d);
  } else {
    e.write(0, d);
    e.write(1, sum);
  }
  e.setFlags(FLAGS_ADD, d, src, "0", sum);
};

function cmpxchgWide(bytes: number): Semantics {
  return (e) => {
    const a = e.ea(0);
    e.writesMemory = true;
    e.callHelper(`H.cmpxchgWide(${a.lo}, ${a.hi}, ${bytes});`, true);
  };
}

export const SEMANTICS: Readonly<Record<string, Semantics>> = {
  add: binary("add"),
  or: binary("or"),
  adc: binary("adc"),
  sbb: binary("sbb"),
  and: binary("and"),
  sub: binary("sub"),
  xor: binary("xor"),
  cmp: binary("cmp"),
  test: binary("test"),
  inc: incdec(1),
  dec: incdec(-1),
  not,
  neg,
  mul: mulDiv("mul"),
  imul,
  div: mulDiv("div"),
  idiv: mulDiv("idiv"),
  rol: shift,
  ror: shift,
  rcl: shift,
  rcr: shift,
  shl: shift,
  shr: shift,
  sar: shift,
  shld: shiftDouble(true),
  shrd: shiftDouble(false),
  bt: bitTest("bt"),
  bts: bitTest("bts"),
  btr: bitTest("btr"),
  btc: bitTest("btc"),
  bsf: bitScan(true),
  bsr: bitScan(false),
  popcnt: (e) => {
    const v = e.read(0);
    e.write(1, { lo: flagHelper(e, `H.popcnt(${v.lo}, ${v.hi})`), hi: "0" });
  },
  lzcnt: countBits(true),
  tzcnt: countBits(false),
  mov,
  movabs: mov,
  movcr: moveSpecial("Control"),
  movdr: moveSpecial("Debug"),
  movzx: extend(false),
  movsx: extend(true),
  lea,
  xchg,
  push: pushSem,
  pop: popSem,
  pushf,
  popf,
  bswap,
  cbw,
  cwd,
  cmovcc,
  setcc,
  jcc,
  jmp,
  jrcxz,
  call,
  ret,
  enter,
  leave,
  int3: (e) => e.fault("#BP", "int3 breakpoint", true),
  int: (e) => e.fault("INT", `software interrupt int $0x${e.immediateNumber(0).toString(16)}`, true, e.immediateNumber(0)),
  ud2: (e) => e.fault("#UD", "ud2"),
  syscall: transfer((e) => `H.syscall(${Number(e.next & 0xffffffffn)}, ${Number(e.next >> 32n)});`),
  sysret: transfer((e) => `H.sysret(${e.size});`),
  iret: transfer((e) => `H.iret(${e.size});`),
  cli: helper("H.setInterruptFlag(false);"),
  sti: helper("H.setInterruptFlag(true);"),
  hlt: (e) => {
    // Always back to the run loop, which stops while the CPU is halted.
    e.callHelper("H.halt();", false);
    e.jump(constant(e.next, 64));
  },
  pause: nothing,
  cpuid: helper("H.cpuid();", true),
  rdtsc: helper("H.rdtsc();", true),
  rdmsr: helper("H.readMsr();", true),
  wrmsr: helper("H.writeMsr();"),
  rdpmc: helper("H.rdpmc();", true),
  wbinvd: helper('C.privileged("wbinvd");'),
  // No TLB is modelled: invlpg is a privileged no-op that does not touch its operand.
  invlpg: helper('C.privileged("invlpg");'),
  swapgs: helper("H.swapgs();"),
  clac: helper("H.setAlignmentCheck(false);"),
  stac: helper("H.setAlignmentCheck(true);"),
  clts: helper('C.privileged("clts"); C.cr0 &= ~8n;'),
  lgdt: table("gdtr", true),
  sgdt: table("gdtr", false),
  lidt: table("idtr", true),
  sidt: table("idtr", false),
  ltr: loadSelector("tr", "ltr"),
  str: storeSelector("tr", "str"),
  lldt: loadSelector("ldtr", "lldt"),
  sldt: storeSelector("ldtr", "sldt"),
  lfence: nothing,
  mfence: nothing,
  sfence: nothing,
  clc: flagOp("C.fl &= ~1;"),
  stc: flagOp("C.fl |= 1;"),
  cmc: flagOp("C.fl ^= 1;"),
  // DF is no arithmetic flag: lazy flags never touch it.
  cld: (e) => e.emit("C.fl &= ~1024;"),
  std: (e) => e.emit("C.fl |= 1024;"),
  endbr64: nothing,
  movs: string("movs"),
  stos: string("stos"),
  lods: string("lods"),
  cmpxchg,
  xadd,
  cmpxchg8b: cmpxchgWide(8),
  cmpxchg16b: cmpxchgWide(16),
  nop: nothing,
};

/** Sems that end a basic block: they transfer control or stop the machine. */
export const ENDS_BLOCK: ReadonlySet<string> = new Set(["jcc", "jmp", "jrcxz", "call", "ret", "int3", "int", "ud2", "syscall", "sysret", "iret", "hlt"]);
