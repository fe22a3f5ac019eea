/**
 * The machine: a CPU, its memory, the compiled-block cache and the run loop. This is the API
 * the CLI, the scenario runner and the tests share:
 *
 *     const m = new Machine();
 *     m.load(0x401000n, code);              // maps the pages r-x and writes the bytes
 *     m.setRegister("rdi", 42n);
 *     m.callFrame(0x7fff0000n);             // a stack with a return sentinel on top
 *     const result = m.run({ maxSteps: 1e6 });
 *
 * A run stops when the entry returns to the sentinel ("ret"), at the end of the loaded code
 * ("end"), at hlt ("hlt"), on a fault ("fault", the state left as the CPU leaves it), or after
 * `maxSteps` instructions ("limit"). Each run reports counters; a trace callback sees every
 * instruction with the registers and flags it changed.
 */
import type { Instruction } from "../x86/instruction.js";
import { registerByName } from "../x86/registers.js";
import { blockKey, BlockCache, HOT_ENTRIES, type DecodedInstruction, type Region } from "./block.js";
import { DEFAULT_MAX_STEPS } from "./defaults.js";
import { Cpu, GPR_NAMES, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_TSC } from "./cpu.js";
import { FaultSignal, type Fault } from "./fault.js";
import { Helpers, type CallHooks } from "./helpers.js";
import { isCanonical, joinAddress, Memory, PERM_RW, PERM_RX, splitAddress } from "./memory.js";

export type StopReason = "ret" | "end" | "hlt" | "fault" | "limit";

export interface Counters {
  instructions: number;
  nops: number;
  calls: number;
  returns: number;
  pushes: number;
  pops: number;
  memoryReads: number;
  memoryWrites: number;
  codeBytes: number;
}

export interface RegisterChange {
  readonly name: string;
  readonly before: bigint;
  readonly after: bigint;
}

export interface TraceStep {
  readonly address: bigint;
  readonly instruction: Instruction;
  readonly length: number;
  /** General registers and rflags whose value the instruction changed (rip excluded). */
  readonly changes: readonly RegisterChange[];
}

export interface RunOptions {
  /** Instructions to run at most (default DEFAULT_MAX_STEPS). */
  readonly maxSteps?: number;
  /** Called after every instruction; runs one instruction per block (slower). */
  readonly trace?: (step: TraceStep) => void;
}

export interface RunResult {
  readonly stop: StopReason;
  /** Instructions retired in this run (a trapping int3 counts; a faulting instruction does not). */
  readonly steps: number;
  readonly fault?: Fault;
  readonly counters: Counters;
}

/** The return address `callFrame` pushes: a canonical address nothing maps. */
export const RETURN_SENTINEL = 0x00007ffffffff000n;

export class Machine {
  readonly cpu = new Cpu();
  readonly memory = new Memory();
  private readonly helpers = new Helpers(this.cpu, this.memory);
  private readonly cache = new BlockCache(this.memory, this.cpu);
  private readonly stops = new Map<number, "ret" | "end">();

  set hooks(hooks: CallHooks) {
    this.helpers.hooks = hooks;
  }

  get hooks(): CallHooks {
    return this.helpers.hooks;
  }

  // ---- loading ----

  /** Maps the pages covering the bytes with `perm` (default r-x) and writes them. */
  load(address: bigint, bytes: Uint8Array, perm = PERM_RX): void {
    this.memory.map(address, Math.max(bytes.length, 1), perm);
    this.memory.poke(address, bytes);
  }

  /** The run stops with `reason` when rip reaches `address` (the end of loaded code, a return sentinel). */
  stopAt(address: bigint, reason: "ret" | "end"): void {
    this.stops.set(blockKey(...splitAddress(address)), reason);
  }

  clearStops(): void {
    this.stops.clear();
  }

  /**
   * Sets up a call: maps a stack of `size` bytes ending at `top` (read-write), points rsp at
   * the return sentinel pushed below the top, and stops runs that return to it.
   */
  callFrame(top: bigint, size = 64 * 1024, sentinel = RETURN_SENTINEL): void {
    this.memory.map(top - BigInt(size), size, PERM_RW);
    const rsp = top - 16n;
    const [lo, hi] = splitAddress(sentinel);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, lo, true);
    new DataView(bytes.buffer).setUint32(4, hi, true);
    this.memory.poke(rsp, bytes);
    this.setRegister("rsp", rsp);
    this.stopAt(sentinel, "ret");
  }

  // ---- registers by name ----

  /** Whether `setRegister` and `getRegister` know a name (any register, rflags, cr3, gs_base, msr:0x..., ...). */
  static isRegisterName(name: string): boolean {
    return PROBE.getRegister(name) !== undefined;
  }

  getRegister(name: string): bigint | undefined {
    const n = name.toLowerCase();
    const C = this.cpu;
    const gpr = GPR_NAMES.indexOf(n as (typeof GPR_NAMES)[number]);
    if (gpr >= 0) return C.get(gpr);
    const msr = /^msr:(0x[0-9a-f]+|\d+)$/.exec(n);
    if (msr) return this.helpers.msr(Number(msr[1])) ?? 0n;
    const dr = /^d[rb]([0-7])$/.exec(n);
    if (dr) return C.dr[Number(dr[1])];
    switch (n) {
      case "rip":
        return C.rip;
      case "rflags":
        return C.rflags;
      case "cr0":
      case "cr2":
      case "cr3":
      case "cr4":
      case "cr8":
        return C[n];
      case "fs_base":
        return C.fsBase;
      case "gs_base":
        return C.gsBase;
      case "kernel_gs_base":
        return C.kernelGsBase;
      case "cpl":
        return BigInt(C.cpl);
    }
    const sub = registerByName(n);
    if (sub && (sub.cls === "gpr32" || sub.cls === "gpr16" || sub.cls === "gpr8" || sub.cls === "gpr8h")) {
      const full = C.get(sub.cls === "gpr8h" ? sub.num - 4 : sub.num);
      return BigInt.asUintN(sub.bits, sub.cls === "gpr8h" ? full >> 8n : full);
    }
    return undefined;
  }

  /** Sets a register by name; returns false for an unknown name. Sub-registers follow the CPU's write rules. */
  setRegister(name: string, value: bigint): boolean {
    const n = name.toLowerCase();
    const C = this.cpu;
    const v = BigInt.asUintN(64, value);
    const gpr = GPR_NAMES.indexOf(n as (typeof GPR_NAMES)[number]);
    if (gpr >= 0) {
      C.set(gpr, v);
      return true;
    }
    const msr = /^msr:(0x[0-9a-f]+|\d+)$/.exec(n);
    if (msr) {
      const index = Number(msr[1]);
      if (index === MSR_FS_BASE) C.fsBase = v;
      else if (index === MSR_GS_BASE) C.gsBase = v;
      else if (index === MSR_KERNEL_GS_BASE) C.kernelGsBase = v;
      else if (index === MSR_TSC) C.tscBase = v - BigInt(C.retired);
      else C.msrs.set(index, v);
      return true;
    }
    const dr = /^d[rb]([0-7])$/.exec(n);
    if (dr) {
      C.dr[Number(dr[1])] = v;
      return true;
    }
    switch (n) {
      case "rip":
        C.rip = v;
        return true;
      case "rflags":
        C.rflags = v;
        return true;
      case "cr0":
      case "cr2":
      case "cr3":
      case "cr4":
      case "cr8":
        C[n] = v;
        return true;
      case "fs_base":
        C.fsBase = v;
        return true;
      case "gs_base":
        C.gsBase = v;
        return true;
      case "kernel_gs_base":
        C.kernelGsBase = v;
        return true;
      case "cpl":
        C.cpl = v === 0n ? 0 : 3;
        this.memory.cpl = C.cpl;
        return true;
    }
    const sub = registerByName(n);
    if (sub && (sub.cls === "gpr32" || sub.cls === "gpr16" || sub.cls === "gpr8" || sub.cls === "gpr8h")) {
      const num = sub.cls === "gpr8h" ? sub.num - 4 : sub.num;
      const shift = sub.cls === "gpr8h" ? 8n : 0n;
      const m = ((1n << BigInt(sub.bits)) - 1n) << shift;
      const old = C.get(num);
      C.set(num, sub.cls === "gpr32" ? BigInt.asUintN(32, v) : (old & ~m) | ((v << shift) & m));
      return true;
    }
    return false;
  }

  /** The 16 general registers, rip and rflags. */
  registers(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    GPR_NAMES.forEach((name, i) => (out[name] = this.cpu.get(i)));
    out.rip = this.cpu.rip;
    out.rflags = this.cpu.rflags;
    return out;
  }

  /** Drops every compiled block (after changing code behind the emulator's back, e.g. a patcher writing through another Memory view). */
  flushCode(): void {
    this.cache.clear();
  }

  // ---- running ----

  run(options: RunOptions = {}): RunResult {
    const C = this.cpu;
    const M = this.memory;
    const H = this.helpers;
    const trace = options.trace;
    const first = C.retired;
    C.limit = first + Math.max(0, Math.floor(options.maxSteps ?? DEFAULT_MAX_STEPS));
    const start = this.counters();
    const stopBefore = (key: number) => this.stops.has(key);
    let stop: StopReason;
    let fault: Fault | undefined;
    let prev: Region | undefined;
    for (;;) {
      if (C.halted) {
        stop = "hlt";
        break;
      }
      const lo = C.r[32]!;
      const hi = C.r[33]!;
      const key = blockKey(lo, hi);
      const reason = this.stops.size ? this.stops.get(key) : undefined;
      if (reason) {
        stop = reason;
        break;
      }
      const budget = C.limit - C.retired;
      if (budget <= 0) {
        stop = "limit";
        break;
      }
      if (!isCanonical(hi)) {
        fault = { vector: "#GP", number: 13, rip: joinAddress(lo, hi), message: `rip 0x${joinAddress(lo, hi).toString(16)} is not canonical`, errorCode: 0 };
        stop = "fault";
        break;
      }
      let region = prev?.successor;
      if (region === undefined || region.key !== key || !region.valid || trace) region = this.cache.get(lo, hi, trace !== undefined, stopBefore);
      // Near the step limit, one instruction at a time.
      if (region.entryLength > budget) region = this.cache.get(lo, hi, true, stopBefore);
      if (++region.entries === HOT_ENTRIES && !region.grown) region = this.cache.grow(region, stopBefore);
      const before = trace ? C.r.slice() : undefined;
      const flagsBefore = C.fl;
      C.smc = false;
      try {
        region.fn(C, M, H);
      } catch (x) {
        if (!(x instanceof FaultSignal)) throw x;
        // Compiled code synced the state (C.cur, counters, registers, flags) before raising it.
        M.stack = false;
        const site = region.sites[C.cur];
        const rip = site === undefined ? region.start : x.trap ? BigInt.asUintN(64, site.address + BigInt(site.length)) : site.address;
        [C.r[32], C.r[33]] = splitAddress(rip);
        if (x.vector === "#PF" && x.address !== undefined) C.cr2 = x.address;
        fault = { vector: x.vector, number: x.number, rip, message: x.message, address: x.address, errorCode: x.errorCode };
        if (trace && x.trap && site) trace(this.step(site, before!, flagsBefore));
        stop = "fault";
        break;
      }
      if (trace) trace(this.step(region.sites[0]!, before!, flagsBefore));
      if (prev && prev.valid) prev.successor = region;
      prev = region;
    }
    const end = this.counters();
    const counters = { ...end };
    for (const name of Object.keys(end) as (keyof Counters)[]) counters[name] = end[name] - start[name];
    return { stop, steps: C.retired - first, fault, counters };
  }

  /** The counters since the machine was made. */
  private counters(): Counters {
    const C = this.cpu;
    const M = this.memory;
    return {
      instructions: C.retired,
      nops: C.nops,
      calls: C.calls,
      returns: C.returns,
      pushes: C.pushes,
      pops: C.pops,
      memoryReads: C.reads + M.reads,
      memoryWrites: C.writes + M.writes,
      codeBytes: C.bytes,
    };
  }

  private step(d: DecodedInstruction, before: Uint32Array, flagsBefore: number): TraceStep {
    const changes: RegisterChange[] = [];
    GPR_NAMES.forEach((name, i) => {
      const old = joinAddress(before[2 * i]!, before[2 * i + 1]!);
      const now = this.cpu.get(i);
      if (old !== now) changes.push({ name, before: old, after: now });
    });
    if (flagsBefore !== this.cpu.fl) changes.push({ name: "rflags", before: BigInt(flagsBefore >>> 0), after: this.cpu.rflags });
    return { address: d.address, instruction: d.instruction, length: d.length, changes };
  }
}

const PROBE = new Machine();
