/**
 * One semantics function per `sem` key of the instruction table. Each writes the JavaScript
 * that executes one decoded instruction, through the Emitter's operand helpers; the table
 * decides which rows share a key (all sizes of `add`, every cmovcc, ...), and the form's
 * operand size, operand types and `cc` specialise the code at compile time.
 *
 * The order of the emitted statements is part of the semantics: everything that can fault
 * (memory reads, probes of a store's destination, privilege checks) comes before the first
 * architectural change, so a faulting instruction leaves the state as it found it.
 */
import type { Register } from "../x86/registers.js";
import { constant, mask, type Emitter, type Val } from "./emit.js";

export type Semantics = (e: Emitter) => void;

/** The JavaScript test of condition code cc (0-15, hardware order) on C.fl. */
export function condition(cc: number): string {
  const sfNeOf = "(((C.fl >>> 7) ^ (C.fl >>> 11)) & 1) !== 0";
  const base = [
    "(C.fl & 2048) !== 0",
    "(C.fl & 1) !== 0",
    "(C.fl & 64) !== 0",
    "(C.fl & 65) !== 0",
    "(C.fl & 128) !== 0",
    "(C.fl & 4) !== 0",
    sfNeOf,
    `((C.fl & 64) !== 0 || ${sfNeOf})`,
  ][cc >> 1]!;
  return cc & 1 ? `!(${base})` : base;
}

function signExtend(e: Emitter, v: Val, from: number, to: number): Val {
  if (from >= to) return v;
  const x = e.let(from === 32 ? `${v.lo} | 0` : `(${v.lo} << ${32 - from}) >> ${32 - from}`);
  return {
    lo: e.let(to >= 32 ? `${x} >>> 0` : `${x} & ${mask(to)}`),
    hi: to === 64 ? e.let(`${x} < 0 ? 4294967295 : 0`) : "0",
  };
}

const bswap32 = (x: string) => `(((${x} << 24) | ((${x} & 0xff00) << 8) | ((${x} >>> 8) & 0xff00) | (${x} >>> 24)) >>> 0)`;

// ---- stack ----

/** Pushes a value: the store happens before rsp moves, so a faulting push changes nothing. */
function push(e: Emitter, v: Val, bits: number): void {
  const bytes = bits / 8;
  const n = e.let(`r[8] - ${bytes}`);
  const slot = { lo: e.let(`${n} < 0 ? ${n} + 4294967296 : ${n}`), hi: e.let(`${n} < 0 ? (r[9] - 1) >>> 0 : r[9]`) };
  e.memWrite(slot, bits, v, true);
  e.emit(`r[8] = ${slot.lo}; r[9] = ${slot.hi};`);
}

/** Reads the top of the stack; `release` then moves rsp past it. */
function peek(e: Emitter, bits: number): Val {
  return e.memRead({ lo: e.let("r[8]"), hi: e.let("r[9]") }, bits, true);
}

function release(e: Emitter, bytes: number): void {
  e.emit(`{ const s = r[8] + ${bytes}; if (s > 4294967295) { r[8] = s - 4294967296; r[9] = (r[9] + 1) >>> 0; } else r[8] = s; }`);
}

// ---- arithmetic ----

type Binary = "add" | "adc" | "sub" | "sbb" | "cmp" | "and" | "or" | "xor" | "test";

/** Plain arithmetic for when no one reads the flags: what `C.add`/`C.sub`/`C.logic` return, without the flags. */
function arithmetic(e: Emitter, kind: "add" | "sub" | "and" | "or" | "xor", a: Val, b: Val, carry: string): Val {
  const s = e.size;
  if (kind === "and" || kind === "or" || kind === "xor") {
    const op = kind === "and" ? "&" : kind === "or" ? "|" : "^";
    return { lo: e.let(`(${a.lo} ${op} ${b.lo}) >>> 0`), hi: s === 64 ? e.let(`(${a.hi} ${op} ${b.hi}) >>> 0`) : "0" };
  }
  const sign = kind === "add" ? "+" : "-";
  if (s < 64) return { lo: e.let(s === 32 ? `(${a.lo} ${sign} ${b.lo} ${sign} ${carry}) >>> 0` : `(${a.lo} ${sign} ${b.lo} ${sign} ${carry}) & ${mask(s)}`), hi: "0" };
  const l = e.let(`${a.lo} ${sign} ${b.lo} ${sign} ${carry}`);
  const out = kind === "add" ? `${l} > 4294967295 ? 1 : 0` : `${l} < 0 ? 1 : 0`;
  return { lo: e.let(`${l} >>> 0`), hi: e.let(`(${a.hi} ${sign} ${b.hi} ${sign} (${out})) >>> 0`) };
}

function binary(op: Binary): Semantics {
  return (e) => {
    const s = e.size;
    const writes = op !== "cmp" && op !== "test";
    if (!writes && e.flagsDead) return;
    const a = writes ? e.readModify(1) : e.read(1);
    const b = e.read(0, s);
    const carry = op === "adc" || op === "sbb" ? "(C.fl & 1)" : "0";
    const arith = op === "add" || op === "adc" ? "add" : op === "and" || op === "or" || op === "xor" || op === "test" ? "" : "sub";
    const bit = op === "or" ? "|" : op === "xor" ? "^" : "&";
    let res: Val;
    if (e.flagsDead) res = arithmetic(e, arith || (op as "and" | "or" | "xor"), a, b, carry);
    else if (s <= 32) {
      const expr = arith ? `C.${arith}(${s}, ${a.lo}, ${b.lo}, ${carry})` : `C.logic(${s}, (${a.lo} ${bit} ${b.lo}) >>> 0)`;
      res = { lo: e.let(expr), hi: "0" };
    } else {
      const expr = arith
        ? `C.${arith}64(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi}, ${carry})`
        : `C.logic64((${a.lo} ${bit} ${b.lo}) >>> 0, (${a.hi} ${bit} ${b.hi}) >>> 0)`;
      res = { lo: e.let(expr), hi: e.let("C.hi") };
    }
    if (writes) e.write(1, res);
  };
}

function incdec(delta: 1 | -1): Semantics {
  return (e) => {
    const s = e.size;
    const a = e.readModify(0);
    let res: Val;
    if (e.flagsDead) res = arithmetic(e, delta === 1 ? "add" : "sub", a, { lo: "1", hi: "0" }, "0");
    else res = s <= 32 ? { lo: e.let(`C.incdec(${s}, ${a.lo}, ${delta})`), hi: "0" } : { lo: e.let(`C.incdec64(${a.lo}, ${a.hi}, ${delta})`), hi: e.let("C.hi") };
    e.write(0, res);
  };
}

const not: Semantics = (e) => {
  const a = e.read(0);
  e.write(0, e.size === 64 ? { lo: `~${a.lo} >>> 0`, hi: `~${a.hi} >>> 0` } : { lo: `(~${a.lo} & ${mask(e.size)}) >>> 0`, hi: "0" });
};

const neg: Semantics = (e) => {
  const s = e.size;
  const a = e.readModify(0);
  const res = s <= 32 ? { lo: e.let(`C.sub(${s}, 0, ${a.lo}, 0)`), hi: "0" } : { lo: e.let(`C.sub64(0, 0, ${a.lo}, ${a.hi}, 0)`), hi: e.let("C.hi") };
  e.write(0, res);
};

function mulDiv(kind: "mul" | "div" | "idiv" | "imul"): Semantics {
  return (e) => {
    const a = e.read(0);
    e.emit(`H.mulDiv("${kind}", ${e.size}, ${a.lo}, ${a.hi});`);
  };
}

const imul: Semantics = (e) => {
  const s = e.size;
  const n = e.insn.operands.length;
  if (n === 1) return mulDiv("imul")(e);
  // imul Ev,Gv: Gv *= Ev; imul imm,Ev,Gv: Gv = Ev * imm.
  const a = e.read(1, s);
  const b = e.read(0, s);
  const res = s === 64 ? { lo: e.let(`H.imul64(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi})`), hi: e.let("C.hi") } : { lo: e.let(`H.imul(${s}, ${a.lo}, ${b.lo})`), hi: "0" };
  e.write(n - 1, res);
};

/** Shift and rotate rows: the ModRM digit says which; the count is implicit 1, %cl or an imm8. */
const shift: Semantics = (e) => {
  const digit = e.form.modrm.kind === "digit" ? e.form.modrm.digit : 4;
  const n = e.insn.operands.length;
  const count = n === 1 ? "1" : e.op(0).kind === "reg" ? "(r[2] & 255)" : String(e.immediateNumber(0));
  const a = e.readModify(n - 1);
  const res = { lo: e.let(`H.shift(${digit}, ${e.size}, ${a.lo}, ${a.hi}, ${count})`), hi: e.size === 64 ? e.let("C.hi") : "0" };
  e.write(n - 1, res);
};

function shiftDouble(left: boolean): Semantics {
  return (e) => {
    const count = e.op(0).kind === "reg" ? "(r[2] & 255)" : String(e.immediateNumber(0));
    const d = e.readModify(2);
    const src = e.read(1);
    const res = { lo: e.let(`H.shiftDouble(${left}, ${e.size}, ${d.lo}, ${d.hi}, ${src.lo}, ${src.hi}, ${count})`), hi: e.size === 64 ? e.let("C.hi") : "0" };
    e.write(2, res);
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
        addr = { lo: e.let(`H.bitAddress(${base.lo}, ${base.hi}, ${offset.lo}, ${offset.hi}, ${s})`), hi: e.let("C.hi") };
        if (writes) e.emit(`M.probeWrite(${addr.lo}, ${addr.hi}, ${s / 8});`);
        value = e.memRead(addr, s);
      } else value = e.read(1);
    }
    const word = s === 64 ? e.let(`${bit} < 32 ? ${value.lo} : ${value.hi}`) : value.lo;
    const m = e.let(`1 << (${bit} & 31)`);
    e.emit(`C.fl = (C.fl & ~1) | ((${word} & ${m}) !== 0 ? 1 : 0);`);
    if (!writes) return;
    const change = (w: string) => `(${kind === "bts" ? `${w} | ${m}` : kind === "btr" ? `${w} & ~${m}` : `${w} ^ ${m}`}) >>> 0`;
    const res =
      s === 64
        ? { lo: e.let(`${bit} < 32 ? ${change(value.lo)} : ${value.lo}`), hi: e.let(`${bit} < 32 ? ${value.hi} : ${change(value.hi)}`) }
        : { lo: e.let(s === 32 ? change(value.lo) : `${change(value.lo)} & ${mask(s)}`), hi: "0" };
    if (addr) e.memWrite(addr, s, res);
    else e.write(1, res);
  };
}

function bitScan(forward: boolean): Semantics {
  return (e) => {
    const v = e.read(0);
    const i = e.let(`H.bitScan(${forward}, ${v.lo}, ${v.hi})`);
    // A zero source leaves the destination as it was (what AMD documents and Intel does).
    e.emit(`if (${i} >= 0) {`);
    e.write(1, { lo: i, hi: "0" });
    e.emit("}");
  };
}

function countBits(leading: boolean): Semantics {
  return (e) => {
    const v = e.read(0);
    e.write(1, { lo: e.let(`H.count(${leading}, ${e.size}, ${v.lo}, ${v.hi})`), hi: "0" });
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

const pushf: Semantics = (e) => push(e, { lo: e.let(e.size === 16 ? "H.pushfValue() & 65535" : "H.pushfValue()"), hi: "0" }, e.size);

const popf: Semantics = (e) => {
  const v = peek(e, e.size);
  release(e, e.size / 8);
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
  const sign = e.let(`(${s === 64 ? acc.hi : acc.lo} & ${s === 16 ? 0x8000 : 0x80000000}) !== 0`);
  const ones = s === 16 ? "65535" : "4294967295";
  e.writeGpr(e.gpr(2, s), { lo: `(${sign} ? ${ones} : 0)`, hi: s === 64 ? `(${sign} ? 4294967295 : 0)` : "0" });
};

const cmovcc: Semantics = (e) => {
  const v = e.read(0);
  const cond = condition(e.form.cc);
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

const setcc: Semantics = (e) => e.write(0, { lo: `(${condition(e.form.cc)} ? 1 : 0)`, hi: "0" });

// ---- control transfer ----

function target(e: Emitter, i: number): bigint {
  const o = e.op(i);
  if (o.kind !== "rel") throw new Error("not a branch target");
  return o.target;
}

const jcc: Semantics = (e) => e.branch(condition(e.form.cc), target(e, 0));

const jrcxz: Semantics = (e) => e.branch("(r[2] | r[3]) === 0", target(e, 0));

const jmp: Semantics = (e) => {
  if (e.op(0).kind === "rel") e.jumpTo(target(e, 0));
  else e.jump(e.read(0, 64));
};

const call: Semantics = (e) => {
  const dest = e.op(0).kind === "rel" ? constant(target(e, 0), 64) : e.read(0, 64);
  push(e, constant(e.next, 64), 64);
  e.emit(`r[32] = ${dest.lo}; r[33] = ${dest.hi};`);
  e.emit(`if (H.hooks.onCall !== undefined) H.call(${e.address}n, ${e.next}n);`);
  e.jump(dest);
};

const ret: Semantics = (e) => {
  const v = peek(e, 64);
  release(e, 8 + (e.insn.operands.length ? e.immediateNumber(0) : 0));
  e.emit(`r[32] = ${v.lo}; r[33] = ${v.hi};`);
  e.emit(`if (H.hooks.onRet !== undefined) H.ret(${e.address}n);`);
  e.jump(v);
};

const enter: Semantics = (e) => e.emit(`H.enter(${e.immediateNumber(0)}, ${e.immediateNumber(1)});`);

const leave: Semantics = (e) => {
  const v = e.memRead({ lo: e.let("r[10]"), hi: e.let("r[11]") }, 64, true);
  e.emit(`{ const s = r[10] + 8; if (s > 4294967295) { r[8] = s - 4294967296; r[9] = (r[11] + 1) >>> 0; } else { r[8] = s; r[9] = r[11]; } }`);
  e.emit(`r[10] = ${v.lo}; r[11] = ${v.hi};`);
};

/** Instructions that leave rip where a helper put it. */
function transfer(call: (e: Emitter) => string): Semantics {
  return (e) => {
    e.emit(call(e));
    e.jump({ lo: "r[32]", hi: "r[33]" });
  };
}

// ---- system ----

const nothing: Semantics = () => {};

function privileged(what: string, then = ""): Semantics {
  return (e) => e.emit(`C.privileged("${what}");${then}`);
}

function flagOp(code: string): Semantics {
  return (e) => e.emit(code);
}

function table(which: "gdtr" | "idtr", load: boolean): Semantics {
  return (e) => {
    const a = e.ea(0);
    e.emit(load ? `H.loadTable("${which}", ${a.lo}, ${a.hi});` : `H.storeTable("${which}", ${a.lo}, ${a.hi});`);
    if (!load) e.writesMemory = true;
  };
}

function loadSelector(field: "tr" | "ldtr", name: string): Semantics {
  return (e) => {
    e.emit(`C.privileged("${name}");`);
    const v = e.read(0, 16);
    e.emit(`C.${field} = ${v.lo};`);
  };
}

function storeSelector(field: "tr" | "ldtr", name: string): Semantics {
  return (e) => {
    e.emit(`H.checkUmip("${name}");`);
    const o = e.op(0);
    // A 32-bit register destination gets the selector zero-extended into its low half and
    // keeps its upper half: what this CPU does (the general zero-extension rule does not apply).
    if (o.kind === "reg" && o.reg.cls === "gpr32") e.emit(`r[${2 * o.reg.num}] = C.${field};`);
    else e.write(0, { lo: `C.${field}`, hi: "0" }, e.isMemory(0) ? 16 : e.bits(0));
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
      e.write(1, { lo: e.let(`H.read${kind}(${special(e, 0).num})`), hi: e.let("C.hi") });
    } else {
      const v = e.read(0);
      e.emit(`H.write${kind}(${special(e, 1).num}, ${v.lo}, ${v.hi});`);
    }
  };
}

function string(kind: "movs" | "stos" | "lods"): Semantics {
  return (e) => {
    const seg = e.insn.prefixes.seg?.name;
    e.writesMemory = kind !== "lods";
    e.emit(`H.string("${kind}", ${e.size / 8}, ${e.insn.prefixes.rep !== undefined}, ${seg === "fs" ? 0 : seg === "gs" ? 2 : -1});`);
  };
}

const cmpxchg: Semantics = (e) => {
  const s = e.size;
  const d = e.readModify(1);
  const src = e.read(0);
  const accReg = e.gpr(0, s);
  const acc = e.bind(e.readGpr(accReg));
  e.emit(s === 64 ? `C.sub64(${acc.lo}, ${acc.hi}, ${d.lo}, ${d.hi}, 0);` : `C.sub(${s}, ${acc.lo}, ${d.lo}, 0);`);
  e.emit("if (C.fl & 64) {");
  e.write(1, src);
  e.emit("} else {");
  // A memory destination is stored back unchanged (the locked cycle always writes); a
  // register destination keeps its value, upper half included (as this CPU does).
  if (e.isMemory(1)) e.write(1, d);
  e.writeGpr(accReg, d);
  e.emit("}");
};

const xadd: Semantics = (e) => {
  const s = e.size;
  const d = e.readModify(1);
  const src = e.read(0);
  const sum = s <= 32 ? { lo: e.let(`C.add(${s}, ${d.lo}, ${src.lo}, 0)`), hi: "0" } : { lo: e.let(`C.add64(${d.lo}, ${d.hi}, ${src.lo}, ${src.hi}, 0)`), hi: e.let("C.hi") };
  if (e.isMemory(1)) {
    e.write(1, sum);
    e.write(0, d);
  } else {
    e.write(0, d);
    e.write(1, sum);
  }
};

function cmpxchgWide(bytes: number): Semantics {
  return (e) => {
    const a = e.ea(0);
    e.writesMemory = true;
    e.emit(`H.cmpxchgWide(${a.lo}, ${a.hi}, ${bytes});`);
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
    e.write(1, { lo: e.let(`H.popcnt(${v.lo}, ${v.hi})`), hi: "0" });
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
  cli: flagOp("H.setInterruptFlag(false);"),
  sti: flagOp("H.setInterruptFlag(true);"),
  hlt: (e) => {
    e.emit("H.halt();");
    e.jumpTo(e.next);
  },
  pause: nothing,
  cpuid: flagOp("H.cpuid();"),
  rdtsc: flagOp("H.rdtsc();"),
  rdmsr: flagOp("H.readMsr();"),
  wrmsr: flagOp("H.writeMsr();"),
  rdpmc: flagOp("H.rdpmc();"),
  wbinvd: privileged("wbinvd"),
  // No TLB is modelled: invlpg is a privileged no-op that does not touch its operand.
  invlpg: privileged("invlpg"),
  swapgs: flagOp("H.swapgs();"),
  clac: flagOp("H.setAlignmentCheck(false);"),
  stac: flagOp("H.setAlignmentCheck(true);"),
  clts: privileged("clts", " C.cr0 &= ~8n;"),
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
  cld: flagOp("C.fl &= ~1024;"),
  std: flagOp("C.fl |= 1024;"),
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
