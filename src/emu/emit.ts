/**
 * The emitter: what a semantics function uses to write the JavaScript of one instruction into
 * a compiled block. It knows how to read and write each kind of operand (registers as lo/hi
 * halves, memory through the Memory helpers, immediates as constants folded at compile time)
 * and how to leave the block (set rip, record progress, return).
 *
 * Inside a block function the names are fixed: `C` the Cpu, `M` the Memory, `H` the run-time
 * helpers (src/emu/helpers.ts), `r` = C.r. Each instruction's code sits in its own `{ }`
 * scope, so temporaries only need to be unique within one instruction.
 */
import type { Instruction, MemoryOperand, Operand } from "../x86/instruction.js";
import { registerByName, type Register } from "../x86/registers.js";
import type { OperandType } from "../x86/table.js";

/** A value in generated code: two JS expressions, the low and high 32 bits (hi is "0" for sizes up to 32). */
export interface Val {
  readonly lo: string;
  readonly hi: string;
}

const u32 = (n: bigint) => String(Number(BigInt.asUintN(32, n)));

/** A compile-time constant of `bits` bits as a Val. */
export function constant(v: bigint, bits: number): Val {
  const t = BigInt.asUintN(bits, v);
  return { lo: u32(t), hi: bits === 64 ? u32(t >> 32n) : "0" };
}

export function mask(bits: number): string {
  return bits === 32 ? "4294967295" : String(2 ** bits - 1);
}

export interface BlockContext {
  /** Address of the block's first instruction (the target of an in-block loop). */
  readonly start: bigint;
  /** Instructions in the block (for the loop budget check). */
  readonly count: number;
}

export class Emitter {
  readonly lines: string[] = [];
  /** The instruction always leaves the block (jmp, ret, faults...). */
  ends = false;
  /** The instruction may write memory, so the block checks for self-modifying code after it. */
  writesMemory = false;
  /** rsp delta to apply when an address uses rsp (pop to memory computes it after the increment). */
  rspBias = 0;
  /** No later instruction reads the flags this one writes before they are overwritten: skip computing them. */
  flagsDead = false;
  private temps = 0;
  private readonly eas = new Map<number, Val>();

  constructor(
    readonly insn: Instruction,
    readonly address: bigint,
    readonly next: bigint,
    /** Position in the block: instructions before it have retired when it faults. */
    readonly index: number,
    readonly block: BlockContext,
  ) {}

  get form() {
    return this.insn.form;
  }

  /** The form's operand size in bits. */
  get size(): number {
    return this.form.opsize;
  }

  op(i: number): Operand {
    return this.insn.operands[i]!;
  }

  type(i: number): OperandType {
    return this.form.operands[i]!;
  }

  emit(code: string): void {
    this.lines.push(code);
  }

  tmp(): string {
    return `t${this.temps++}`;
  }

  /** Binds an expression to a fresh const and returns its name. */
  let(expr: string): string {
    if (/^(\d+|t\d+)$/.test(expr)) return expr;
    const t = this.tmp();
    this.emit(`const ${t} = ${expr};`);
    return t;
  }

  /** Binds both halves of a value to fresh consts. */
  bind(v: Val): Val {
    return { lo: this.let(v.lo), hi: v.hi === "0" ? "0" : this.let(v.hi) };
  }

  isMemory(i: number): boolean {
    return this.op(i).kind === "mem";
  }

  /** The width of operand i in bits: a register's own size, else the form's size for it. */
  bits(i: number): number {
    const o = this.op(i);
    if (o.kind === "reg") return o.reg.bits;
    const t = this.type(i);
    if ("bits" in t && t.bits) return t.bits;
    return this.size;
  }

  // ---- registers ----

  readGpr(reg: Register): Val {
    const n = reg.cls === "gpr8h" ? reg.num - 4 : reg.num;
    const lo = `r[${2 * n}]`;
    switch (reg.cls) {
      case "gpr64":
        return { lo, hi: `r[${2 * n + 1}]` };
      case "gpr32":
        return { lo, hi: "0" };
      case "gpr16":
        return { lo: `(${lo} & 65535)`, hi: "0" };
      case "gpr8":
        return { lo: `(${lo} & 255)`, hi: "0" };
      case "gpr8h":
        return { lo: `((${lo} >>> 8) & 255)`, hi: "0" };
      default:
        throw new Error(`not a general register: ${reg.name}`);
    }
  }

  writeGpr(reg: Register, v: Val): void {
    const n = reg.cls === "gpr8h" ? reg.num - 4 : reg.num;
    const lo = `r[${2 * n}]`;
    switch (reg.cls) {
      case "gpr64":
        this.emit(`${lo} = ${v.lo}; r[${2 * n + 1}] = ${v.hi};`);
        return;
      case "gpr32":
        this.emit(`${lo} = ${v.lo}; r[${2 * n + 1}] = 0;`);
        return;
      case "gpr16":
        this.emit(`${lo} = (${lo} & 0xffff0000) | ${v.lo};`);
        return;
      case "gpr8":
        this.emit(`${lo} = (${lo} & 0xffffff00) | ${v.lo};`);
        return;
      case "gpr8h":
        this.emit(`${lo} = (${lo} & 0xffff00ff) | (${v.lo} << 8);`);
        return;
      default:
        throw new Error(`not a general register: ${reg.name}`);
    }
  }

  /** rax/eax/ax/al (n = 0), rdx (n = 2), ... at a width. */
  gpr(n: number, bits: number): Register {
    const names: Record<number, readonly string[]> = {
      64: ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"],
      32: ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"],
      16: ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"],
      8: ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"],
    };
    return registerByName(names[bits]![n]!)!;
  }

  // ---- memory ----

  /** The effective address of memory operand i (with fs/gs base), computed once per instruction. */
  ea(i: number): Val {
    const cached = this.eas.get(i);
    if (cached) return cached;
    const v = this.address64(this.op(i) as MemoryOperand);
    this.eas.set(i, v);
    return v;
  }

  /** The address a memory operand names, without touching memory (lea, invlpg). */
  address64(m: MemoryOperand, withSegment = true): Val {
    const disp = BigInt.asUintN(64, m.disp);
    let v: Val;
    if (m.base?.cls === "rip") {
      v = constant((m.base.bits === 32 ? BigInt.asUintN(32, this.next) : this.next) + disp, m.base.bits);
    } else {
      const wide = (m.base ?? m.index)?.cls !== "gpr32";
      const terms: string[] = [];
      const hiTerms: string[] = [];
      const add = (reg: Register | undefined, scale: number) => {
        if (!reg) return;
        const bias = reg.num === 4 && this.rspBias ? `(${this.readGpr(reg).lo} + ${this.rspBias})` : this.readGpr(reg).lo;
        terms.push(scale === 1 ? bias : `${bias} * ${scale}`);
        if (wide) hiTerms.push(scale === 1 ? `r[${2 * reg.num + 1}]` : `r[${2 * reg.num + 1}] * ${scale}`);
      };
      add(m.base, 1);
      add(m.index, m.scale);
      const dlo = Number(disp & 0xffffffffn);
      const dhi = Number(disp >> 32n);
      if (dlo) terms.push(String(dlo));
      if (terms.length === 0) v = constant(disp, wide ? 64 : 32);
      else if (!wide) v = { lo: this.let(`(${terms.join(" + ")}) >>> 0`), hi: "0" };
      else {
        const sum = this.let(terms.join(" + "));
        if (dhi) hiTerms.push(String(dhi));
        const carry = terms.length === 1 && this.rspBias === 0 ? "" : `Math.floor(${sum} / 4294967296)`;
        if (carry) hiTerms.push(carry);
        if (hiTerms.length === 0) hiTerms.push("0");
        v = { lo: this.let(`${sum} >>> 0`), hi: this.let(`(${hiTerms.join(" + ")}) >>> 0`) };
      }
    }
    const seg = m.seg?.name ?? this.insn.prefixes.seg?.name;
    if (withSegment && (seg === "fs" || seg === "gs")) v = this.addSegment(v, seg === "fs" ? 0 : 2);
    return v;
  }

  addSegment(v: Val, index: number): Val {
    const sum = this.let(`${v.lo} + C.seg[${index}]`);
    return { lo: this.let(`${sum} >>> 0`), hi: this.let(`(${v.hi} + C.seg[${index + 1}] + (${sum} > 4294967295 ? 1 : 0)) >>> 0`) };
  }

  /** `stack`: the access goes through rsp or rbp, so a non-canonical address raises #SS. */
  memRead(a: Val, bits: number, stack = false): Val {
    if (stack) this.emit("M.stack = true;");
    let v: Val;
    if (bits === 64) {
      const lo = this.let(`M.r64(${a.lo}, ${a.hi})`);
      v = { lo, hi: this.let("M.hi") };
    } else v = { lo: this.let(`M.r${bits}(${a.lo}, ${a.hi})`), hi: "0" };
    if (stack) this.emit("M.stack = false;");
    return v;
  }

  memWrite(a: Val, bits: number, v: Val, stack = false): void {
    this.writesMemory = true;
    if (stack) this.emit("M.stack = true;");
    if (bits === 64) this.emit(`M.w64(${a.lo}, ${a.hi}, ${v.lo}, ${v.hi});`);
    else this.emit(`M.w${bits}(${a.lo}, ${a.hi}, ${v.lo});`);
    if (stack) this.emit("M.stack = false;");
  }

  /** Whether memory operand i is addressed through rsp or rbp (the stack segment). */
  stackBased(i: number): boolean {
    const o = this.op(i);
    return o.kind === "mem" && o.base !== undefined && (o.base.cls === "gpr64" || o.base.cls === "gpr32") && (o.base.num === 4 || o.base.num === 5);
  }

  // ---- operands ----

  /** Operand i's value at `bits` bits (immediates are sign- or zero-extended as the CPU does). */
  read(i: number, bits = this.bits(i)): Val {
    const o = this.op(i);
    switch (o.kind) {
      case "reg":
        return this.bind(this.readGpr(o.reg));
      case "mem":
        return this.memRead(this.ea(i), bits, this.stackBased(i));
      case "imm":
        return this.immediate(i, bits);
      case "rel":
        return constant(o.target, 64);
    }
  }

  /** An immediate operand widened to `bits`: sign-extended when the form says so, and for imm32 of 64-bit operations. */
  immediate(i: number, bits: number): Val {
    const o = this.op(i);
    if (o.kind !== "imm") throw new Error("not an immediate");
    const t = this.type(i);
    const width = t.t === "imm" ? t.bits : 8;
    let v = BigInt.asUintN(width, o.value);
    if (width < bits && t.t === "imm" && (t.signExtended || width === 32)) v = BigInt.asIntN(width, v);
    return constant(v, bits);
  }

  /** The raw immediate as a number (counts, vectors, enter's sizes). */
  immediateNumber(i: number): number {
    const o = this.op(i);
    const t = this.type(i);
    if (o.kind !== "imm") return 1; // the literal `1` operand of shifts
    return Number(BigInt.asUintN(t.t === "imm" ? t.bits : 8, o.value));
  }

  /** Reads an operand that will be written back: a memory destination is probed for writing first, so that flags set before the store never survive a faulting store. */
  readModify(i: number, bits = this.bits(i)): Val {
    if (this.isMemory(i)) {
      const a = this.ea(i);
      const stack = this.stackBased(i);
      this.emit(`${stack ? "M.stack = true; " : ""}M.probeWrite(${a.lo}, ${a.hi}, ${bits / 8});${stack ? " M.stack = false;" : ""}`);
    }
    return this.read(i, bits);
  }

  write(i: number, v: Val, bits = this.bits(i)): void {
    const o = this.op(i);
    if (o.kind === "reg") this.writeGpr(o.reg, v);
    else if (o.kind === "mem") this.memWrite(this.ea(i), bits, v, this.stackBased(i));
    else throw new Error(`cannot write operand ${i} of ${this.form.row}`);
  }

  // ---- leaving the block ----

  /** Statements that set rip and return to the run loop with every instruction up to this one retired. */
  exitCode(target: Val): string {
    return `r[32] = ${target.lo}; r[33] = ${target.hi}; C.cur = ${this.index + 1}; return;`;
  }

  /** Unconditional transfer to a computed address. */
  jump(target: Val): void {
    this.emit(this.exitCode(target));
    this.ends = true;
  }

  /** Unconditional transfer to a known address; a jump back to the block's start loops inside the block. */
  jumpTo(target: bigint): void {
    this.emit(this.loopOrExit(target));
    this.ends = true;
  }

  /** Conditional transfer (jcc, jrcxz); falls through when `cond` is false. */
  branch(cond: string, target: bigint): void {
    this.emit(`if (${cond}) { ${this.loopOrExit(target)} }`);
  }

  private loopOrExit(target: bigint): string {
    const exit = this.exitCode(constant(target, 64));
    if (target !== this.block.start || this.index !== this.block.count - 1) return exit;
    // The loop back edge: retire the iteration and go round again while the step limit allows.
    const n = this.block.count;
    return `C.retired += ${n}; if (C.retired + ${n} <= C.limit && !C.smc) continue loop; ${exit.replace(/C\.cur = \d+/, "C.cur = 0")}`;
  }

  /** Raises a fault (rip = this instruction) or a trap (rip = the next one). */
  fault(vector: string, message: string, trap = false, number?: number): void {
    this.emit(`throw H.fault(${JSON.stringify(vector)}, ${JSON.stringify(message)}, ${trap}${number === undefined ? "" : `, ${number}`});`);
    this.ends = true;
  }
}
