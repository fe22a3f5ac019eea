/**
 * The emitter: what a semantics function uses to write the JavaScript of one instruction into
 * a compiled region (src/emu/block.ts). It knows how to read and write each kind of operand
 * (registers as JS locals, memory through inline translation-cache lookups, immediates as
 * constants folded at compile time), how to record and test flags lazily (src/emu/flags.ts),
 * and how to leave the instruction: to another block of the region or out of it.
 *
 * Names inside a region function: `C` the Cpu, `M` the Memory, `H` the run-time helpers
 * (src/emu/helpers.ts), `r` = C.r. Each general register lives in locals named after it (`rax`
 * its low half, `rax_hi` its high half): loaded on entry, stored back on exit and before
 * anything that can fault or read them. Counters live in `n_<counter>` locals, the step limit
 * in `limit`, the rip an exit leaves for in `rip`/`rip_hi`. Temporaries `t<n>` are unique in
 * the region. Every 32-bit value is an int32 (the bits of the unsigned value: `(a + b) | 0`,
 * unsigned comparisons through `>>> 0`), 8- and 16-bit values are masked to their size: V8
 * keeps int32 arithmetic in machine registers and never has to guess that a sum overflows.
 *
 * A "sync" makes the architectural state exact as before the current instruction: C.cur, the
 * counters, the registers, C.fl. Compiled code syncs only where it has to: on the slow path of
 * a memory access (where it may fault), before helpers, before raising a fault.
 */
import type { Instruction, MemoryOperand, Operand } from "../x86/instruction.js";
import { registerByName, type Register } from "../x86/registers.js";
import type { OperandType } from "../x86/table.js";
import { GPR_NAMES } from "./cpu.js";
import { flagsImage, IN_CPU, imageCondition, materialize, recordCondition, toLocals, type FlagKind, type FlagState } from "./flags.js";
import { PAGE_SIZE, TLB_SIZE } from "./memory.js";

/** A value in generated code: two int32 JS expressions, the low and high 32 bits (hi is "0" for sizes up to 32). */
export interface Val {
  readonly lo: string;
  readonly hi: string;
}

const i32 = (n: bigint) => String(Number(BigInt.asIntN(32, n)));

/** A compile-time constant of `bits` bits as a Val (32-bit halves as int32 literals). */
export function constant(v: bigint, bits: number): Val {
  const t = BigInt.asUintN(bits, v);
  return { lo: i32(t), hi: bits === 64 ? i32(t >> 32n) : "0" };
}

export function mask(bits: number): string {
  return bits === 32 ? "4294967295" : String(2 ** bits - 1);
}

/** What the run counts, each a Cpu field of that name that compiled code keeps in a local `n_<name>`. */
export const COUNTERS = ["retired", "nops", "calls", "returns", "pushes", "pops", "bytes", "reads", "writes"] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counts = Record<Counter, number>;

export function zeroCounts(): Counts {
  return { retired: 0, nops: 0, calls: 0, returns: 0, pushes: 0, pops: 0, bytes: 0, reads: 0, writes: 0 };
}

export function addCounts(a: Counts, b: Counts): Counts {
  const sum = zeroCounts();
  for (const c of COUNTERS) sum[c] = a[c] + b[c];
  return sum;
}

/** The local that holds half i of C.r (even: the low half of general register i/2, named after it; odd: its high half). */
export function registerLocal(half: number): string {
  const name = GPR_NAMES[half >> 1]!;
  return half & 1 ? `${name}_hi` : name;
}

/** What the region compiler knows about the blocks an instruction may transfer to. */
export interface RegionPlan {
  /** The region's block that starts at an address, if any (a transfer elsewhere leaves the region). */
  blockAt(address: bigint): number | undefined;
  /** Instructions in a block: it is entered only while the step limit allows all of them. */
  blockLength(index: number): number;
  /** Whether a block may read flags before it overwrites them: a transfer there passes the pending record along. */
  flagsLiveIn(index: number): boolean;
}

/** Stand-ins in the generated source for code that depends on the whole region, filled in when it is complete. */
export const RELOAD_MARK = "/*reload*/";
const syncMark = (n: number) => `/*sync ${n}*/`;
export const SYNC_MARKS = /\/\*sync (\d+)\*\//g;

/** State shared by the instructions of a region while it is compiled. */
export class RegionWriter {
  private temps = 0;
  /** Halves of C.r the region reads or writes (loaded on entry), and those it writes (stored back). */
  readonly used = new Set<number>();
  readonly written = new Set<number>();
  /** Counters some block adds to. */
  readonly counted = new Set<Counter>(["retired"]);
  /** For each sync in the source (`syncMark(n)`), the counts it leaves in the Cpu, relative to the counter locals. */
  readonly syncs: Counts[] = [];
  usesMemory = false;
  usesFlagLocals = false;
  /** The block being written, where its flags are, and the counts of its instructions already written. */
  block = 0;
  flags: FlagState = IN_CPU;
  counts: Counts = zeroCounts();

  constructor(readonly plan: RegionPlan) {}

  tmp(): string {
    return `t${this.temps++}`;
  }

  /** Statements adding counts to the counter locals. */
  countAdds(counts: Counts): string {
    const out: string[] = [];
    for (const c of COUNTERS) {
      if (!counts[c]) continue;
      this.counted.add(c);
      out.push(`n_${c} += ${counts[c]};`);
    }
    return out.join(" ");
  }
}

export class Emitter {
  readonly lines: string[] = [];
  /** The instruction always leaves its block (jmp, ret, faults...): nothing after it runs. */
  ends = false;
  /** The instruction may write memory, so the region checks for self-modifying code after it. */
  writesMemory = false;
  /** rsp delta to apply when an address uses rsp (pop to memory computes it after the increment). */
  rspBias = 0;
  private readonly eas = new Map<number, Val>();

  constructor(
    readonly insn: Instruction,
    readonly address: bigint,
    readonly next: bigint,
    /** Index of the instruction in the region's sites: what C.cur says when it faults. */
    readonly site: number,
    readonly w: RegionWriter,
    /** What the instruction adds to the counters when it retires (memory accesses added as they are emitted). */
    readonly own: Counts,
    /** Nothing reads the flags this instruction writes before they are overwritten: it need not compute them. */
    readonly flagsDead = false,
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
    return this.w.tmp();
  }

  /** Binds an expression to a fresh const and returns its name (constants and temporaries stay as they are). */
  let(expr: string): string {
    if (/^(-?\d+|t\d+)$/.test(expr)) return expr;
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

  private half(index: number, write: boolean): string {
    this.w.used.add(index);
    if (write) this.w.written.add(index);
    return registerLocal(index);
  }

  /** A register's value as expressions on its locals (not bound: read them before writing it). */
  readGpr(reg: Register): Val {
    const n = reg.cls === "gpr8h" ? reg.num - 4 : reg.num;
    const lo = this.half(2 * n, false);
    switch (reg.cls) {
      case "gpr64":
        return { lo, hi: this.half(2 * n + 1, false) };
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
    const lo = this.half(2 * n, true);
    switch (reg.cls) {
      case "gpr64": {
        // Both halves bound first: one may be computed from the other's old value.
        const b = this.bind(v);
        this.emit(`${lo} = ${b.lo}; ${this.half(2 * n + 1, true)} = ${b.hi};`);
        return;
      }
      case "gpr32":
        this.emit(`${lo} = ${v.lo}; ${this.half(2 * n + 1, true)} = 0;`);
        return;
      case "gpr16":
        this.emit(`${lo} = (${lo} & -65536) | (${v.lo});`);
        return;
      case "gpr8":
        this.emit(`${lo} = (${lo} & -256) | (${v.lo});`);
        return;
      case "gpr8h":
        this.emit(`${lo} = (${lo} & -65281) | ((${v.lo}) << 8);`);
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

  // ---- the state as the CPU would show it ----

  /** The counts once this instruction has retired. */
  countsAfter(): Counts {
    return addCounts(this.w.counts, this.own);
  }

  /**
   * Statements that make the state exact as before this instruction (after it, for a trap):
   * C.cur, counters, registers (filled in when the region is complete) and C.fl.
   */
  syncCode(after = false): string {
    const n = this.w.syncs.length;
    this.w.syncs.push(after ? this.countsAfter() : this.w.counts);
    return `C.cur = ${this.site}; ${syncMark(n)} ${materialize(this.w.flags)}`;
  }

  /** Syncs here, on every path: from now on C.fl holds the flags. */
  sync(after = false): void {
    this.emit(this.syncCode(after));
    this.w.flags = IN_CPU;
  }

  /**
   * A helper call that may fault or read the architectural state: synced before it; the
   * register locals are reloaded after it when it may write registers.
   */
  callHelper(code: string, writesRegisters: boolean): void {
    this.sync();
    this.emit(code);
    if (writesRegisters) this.emit(RELOAD_MARK);
  }

  // ---- flags ----

  /** Records the flags this instruction leaves (call it after its last store: a record never outlives a fault). */
  setFlags(kind: FlagKind, a: Val, b: Val, c: string, res: Val): void {
    this.w.flags = { where: "record", record: { kind, size: this.size, a: this.bind(a), b: this.bind(b), c, res: this.bind(res) } };
  }

  /** Before code that reads or writes C.fl itself (flag helpers, pushf, clc): C.fl made exact; it holds the flags from here on. */
  flagsToCpu(): void {
    this.emit(materialize(this.w.flags));
    this.w.flags = IN_CPU;
  }

  /** Condition code cc (0-15, hardware order) as a JS boolean expression. */
  cond(cc: number): string {
    const f = this.w.flags;
    if (f.where === "record") return recordCondition(cc, f.record) ?? imageCondition(cc, this.let(flagsImage(f.record)));
    this.flagsToCpu();
    return imageCondition(cc, "C.fl");
  }

  /** CF as 0 or 1 (adc, sbb, and what inc and dec keep). */
  carry(): string {
    const f = this.w.flags;
    if (f.where === "record") return this.let(`${this.cond(2)} ? 1 : 0`);
    this.flagsToCpu();
    return this.let("C.fl & 1");
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
    const disp = constant(m.disp, 64);
    let v: Val;
    if (m.base?.cls === "rip") {
      v = constant((m.base.bits === 32 ? BigInt.asUintN(32, this.next) : this.next) + BigInt.asUintN(64, m.disp), m.base.bits);
    } else if ((m.base ?? m.index)?.cls === "gpr32") {
      // 32-bit addressing: the sum wraps at 32 bits and is zero-extended.
      const base = m.base && (this.rspBias && m.base.num === 4 ? `${this.readGpr(m.base).lo} + ${this.rspBias}` : this.readGpr(m.base).lo);
      const terms = [base, m.index ? this.scaled(m.index, m.scale).lo : undefined, disp.lo !== "0" ? disp.lo : undefined];
      const used = terms.filter((t): t is string => t !== undefined);
      v = { lo: used.length ? this.let(`(${used.join(" + ")}) | 0`) : "0", hi: "0" };
    } else {
      let sum: Val | undefined;
      if (m.base) sum = this.rspBias && m.base.num === 4 ? this.add64(this.readGpr(m.base), constant(BigInt(this.rspBias), 64)) : this.readGpr(m.base);
      if (m.index) sum = sum ? this.add64(sum, this.scaled(m.index, m.scale)) : this.scaled(m.index, m.scale);
      v = sum === undefined ? disp : disp.lo === "0" && disp.hi === "0" ? sum : this.add64(sum, disp);
    }
    const seg = m.seg?.name ?? this.insn.prefixes.seg?.name;
    if (withSegment && (seg === "fs" || seg === "gs")) v = this.add64(v, this.bind({ lo: `C.seg[${seg === "fs" ? 0 : 2}] | 0`, hi: `C.seg[${seg === "fs" ? 1 : 3}] | 0` }));
    // Bound: the instruction may write a register the address came from before its last use.
    return this.bind(v);
  }

  /** An index register times its scale, as a 64-bit value (32-bit registers: their own width). */
  private scaled(reg: Register, scale: number): Val {
    const v = this.readGpr(reg);
    const k = Math.log2(scale);
    if (k === 0) return v;
    if (reg.cls === "gpr32") return { lo: `(${v.lo} << ${k})`, hi: "0" };
    return { lo: this.let(`${v.lo} << ${k}`), hi: this.let(`(${v.hi} << ${k}) | (${v.lo} >>> ${32 - k})`) };
  }

  /** a + b at 64 bits (the carry out of the low half through an unsigned comparison). */
  add64(a: Val, b: Val): Val {
    const lo = this.let(`(${a.lo} + ${b.lo}) | 0`);
    const carry = `((${lo} >>> 0) < (${a.lo} >>> 0) ? 1 : 0)`;
    const high = b.hi === "0" ? a.hi : `${a.hi} + ${b.hi}`;
    return { lo, hi: this.let(`(${high} + ${carry}) | 0`) };
  }

  /**
   * The inline translation-cache test for an access of `bytes` at `a` (which: "read" or
   * "write"): its slot and in-page offset as consts, and the test that the fast path applies.
   */
  private cached(a: Val, bytes: number, which: "read" | "write"): { slot: string; offset: string; hit: string } {
    this.w.usesMemory = true;
    const tag = this.let(`${a.lo} >>> 12`);
    const slot = this.let(`${tag} & ${TLB_SIZE - 1}`);
    const offset = this.let(`${a.lo} & ${PAGE_SIZE - 1}`);
    const inPage = bytes > 1 ? ` && ${offset} <= ${PAGE_SIZE - bytes}` : "";
    const p = which === "read" ? "r" : "w";
    return { slot, offset, hit: `${p}tags[${slot}] === ${tag} && ${p}highs[${slot}] === ${a.hi}${inPage}` };
  }

  /** The slow path of an access: synced, as a fault may follow; `stack` makes a non-canonical address #SS. */
  private slowPath(call: string, stack: boolean): string {
    return stack ? `${this.syncCode()} M.stack = true; ${call} M.stack = false;` : `${this.syncCode()} ${call}`;
  }

  /** `stack`: the access goes through rsp or rbp, so a non-canonical address raises #SS. */
  memRead(a: Val, bits: number, stack = false): Val {
    this.own.reads++;
    const bytes = bits / 8;
    const { slot, offset, hit } = this.cached(a, bytes, "read");
    const lo = this.tmp();
    const view = `rviews[${slot}]`;
    if (bits === 64) {
      const hi = this.tmp();
      const slow = this.slowPath(`${lo} = M.load64(${a.lo}, ${a.hi}) | 0; ${hi} = M.hi | 0;`, stack);
      this.emit(`let ${lo}, ${hi}; if (${hit}) { ${lo} = ${view}.getInt32(${offset}, true); ${hi} = ${view}.getInt32(${offset} + 4, true); } else { ${slow} }`);
      return { lo, hi };
    }
    const get = bits === 8 ? `getUint8(${offset})` : bits === 16 ? `getUint16(${offset}, true)` : `getInt32(${offset}, true)`;
    this.emit(`let ${lo}; if (${hit}) ${lo} = ${view}.${get}; else { ${this.slowPath(`${lo} = M.load${bits}(${a.lo}, ${a.hi}) | 0;`, stack)} }`);
    return { lo, hi: "0" };
  }

  memWrite(a: Val, bits: number, v: Val, stack = false): void {
    this.own.writes++;
    this.writesMemory = true;
    const bytes = bits / 8;
    const { slot, offset, hit } = this.cached(a, bytes, "write");
    const view = `wviews[${slot}]`;
    const fast =
      bits === 64
        ? `${view}.setInt32(${offset}, ${v.lo}, true); ${view}.setInt32(${offset} + 4, ${v.hi}, true);`
        : bits === 8
          ? `${view}.setUint8(${offset}, ${v.lo});`
          : `${view}.set${bits === 16 ? "Uint16" : "Int32"}(${offset}, ${v.lo}, true);`;
    const call = bits === 64 ? `M.store64(${a.lo}, ${a.hi}, ${v.lo}, ${v.hi});` : `M.store${bits}(${a.lo}, ${a.hi}, ${v.lo});`;
    this.emit(`if (${hit}) { ${fast} } else { ${this.slowPath(call, stack)} }`);
  }

  /** Faults unless `bytes` at `a` can be written: before a read-modify-write reads, so that a faulting store leaves no trace. */
  probeWrite(a: Val, bytes: number, stack = false): void {
    const { hit } = this.cached(a, bytes, "write");
    this.emit(`if (!(${hit})) { ${this.slowPath(`M.probeWrite(${a.lo}, ${a.hi}, ${bytes});`, stack)} }`);
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

  /** Reads an operand that will be written back: a memory destination is probed for writing first, so that nothing changes before a faulting store. */
  readModify(i: number, bits = this.bits(i)): Val {
    if (this.isMemory(i)) this.probeWrite(this.ea(i), bits / 8, this.stackBased(i));
    return this.read(i, bits);
  }

  write(i: number, v: Val, bits = this.bits(i)): void {
    const o = this.op(i);
    if (o.kind === "reg") this.writeGpr(o.reg, v);
    else if (o.kind === "mem") this.memWrite(this.ea(i), bits, v, this.stackBased(i));
    else throw new Error(`cannot write operand ${i} of ${this.form.row}`);
  }

  // ---- leaving the instruction ----

  /** Statements that leave the region for `target` with every instruction up to this one retired. */
  exitCode(target: Val): string {
    return `${this.w.countAdds(this.countsAfter())} ${materialize(this.w.flags)} rip = ${target.lo}; rip_hi = ${target.hi}; break run;`;
  }

  /**
   * Statements that go on at a known address: into its block when the region has it and the
   * step limit allows the whole block, else out of the region.
   */
  private edgeCode(target: bigint): string {
    const index = this.w.plan.blockAt(target);
    if (index === undefined) return this.exitCode(constant(target, 64));
    const adds = this.w.countAdds(this.countsAfter());
    const rip = constant(target, 64);
    const over = `if (n_retired + ${this.w.plan.blockLength(index)} > limit) { ${materialize(this.w.flags)} rip = ${rip.lo}; rip_hi = ${rip.hi}; break run; }`;
    const pass = this.w.plan.flagsLiveIn(index) ? toLocals(this.w.flags) : "";
    const go = index === this.w.block ? `continue b${index};` : `b = ${index}; continue run;`;
    return `${adds} ${over} ${pass} ${go}`;
  }

  /** Unconditional transfer to a computed address: leaves the region. */
  jump(target: Val): void {
    this.emit(this.exitCode(target));
    this.ends = true;
  }

  /** Unconditional transfer to a known address. */
  jumpTo(target: bigint): void {
    this.emit(this.edgeCode(target));
    this.ends = true;
  }

  /** Conditional transfer (jcc, jrcxz); falls through when `cond` is false. */
  branch(cond: string, target: bigint): void {
    this.emit(`if (${cond}) { ${this.edgeCode(target)} }`);
  }

  /** Raises a fault (rip = this instruction) or a trap (rip = the next one, this one retired). */
  fault(vector: string, message: string, trap = false, number?: number): void {
    this.sync(trap);
    this.emit(`throw H.fault(${JSON.stringify(vector)}, ${JSON.stringify(message)}, ${trap}${number === undefined ? "" : `, ${number}`});`);
    this.ends = true;
  }
}
