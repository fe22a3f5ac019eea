/**
 * The CPU state and the arithmetic-and-flags helpers compiled code calls.
 *
 * General registers and rip live in one Uint32Array as lo/hi halves (`r[2n]`, `r[2n+1]`; rip
 * at 32/33), so that the hot paths stay on small integers and never touch BigInt. The rflags
 * image is a plain number (`fl`); its upper 32 bits are reserved and always zero.
 *
 * Helpers for operand sizes 8, 16 and 32 take and return unsigned numbers below 2^size; the
 * 64-bit helpers take (lo, hi) pairs and return lo, leaving hi in `this.hi`. Each helper sets
 * exactly the flags the Intel SDM defines for the operation; flags the SDM leaves undefined get
 * the values docs/emulator.md lists (measured on this machine's CPU where we could).
 */
import { ARITHMETIC_FLAGS, FLAGS } from "../x86/flags.js";
import { FaultSignal } from "./fault.js";
import { joinAddress, splitAddress } from "./memory.js";

export const { CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL, NT, RF, AC, ID } = FLAGS;
/** The six arithmetic flags. */
export const ARITH = ARITHMETIC_FLAGS;
/** Operation kinds of lazy flags (src/emu/flags.ts), as `Cpu.arithFlags` takes them. */
export const FLAGS_ADD = 1;
export const FLAGS_SUB = 2;
export const FLAGS_LOGIC = 3;
export const FLAGS_INC = 4;
export const FLAGS_DEC = 5;
/** Bit 1 of rflags always reads as 1. */
export const RFLAGS_FIXED = 0x2;
/** What popf may change at CPL 0 (VM, VIF, VIP and RF are never loaded by popf). */
export const POPF_MASK = ARITH | TF | IF | DF | IOPL | NT | AC | ID;

export const MSR_EFER = 0xc0000080;
export const MSR_STAR = 0xc0000081;
export const MSR_LSTAR = 0xc0000082;
export const MSR_FMASK = 0xc0000084;
export const MSR_FS_BASE = 0xc0000100;
export const MSR_GS_BASE = 0xc0000101;
export const MSR_KERNEL_GS_BASE = 0xc0000102;
export const MSR_TSC = 0x10;
/** EFER with SCE (syscall enable), LME, LMA and NXE set, as a 64-bit kernel runs. */
export const EFER_DEFAULT = 0xd01n;

/** PF for each byte value (set when the number of 1 bits is even). */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b; b >>= 1) bits += b & 1;
  PARITY[i] = bits & 1 ? 0 : PF;
}

export const GPR_NAMES = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;
export type GprName = (typeof GPR_NAMES)[number];

export interface CpuidLeaf {
  readonly eax: number;
  readonly ebx: number;
  readonly ecx: number;
  readonly edx: number;
}

/** The emulated CPU's identification: "pvopcEmuCPU0", family 6, with the features the table implements. */
export function defaultCpuid(): Map<string, CpuidLeaf> {
  const text = (s: string) => [0, 4, 8].map((i) => s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24));
  const [b, d, c] = text("pvopcEmuCPU0") as [number, number, number];
  return new Map<string, CpuidLeaf>([
    ["0", { eax: 1, ebx: b >>> 0, ecx: c >>> 0, edx: d >>> 0 }],
    // Family 6; ecx: cx16 (13), popcnt (23), hypervisor (31); edx: tsc (4), msr (5), cx8 (8), cmov (15).
    ["1", { eax: 0x00000600, ebx: 0, ecx: (1 << 13) | (1 << 23) | (1 << 31) >>> 0, edx: (1 << 4) | (1 << 5) | (1 << 8) | (1 << 15) }],
    ["80000000", { eax: 0x80000001, ebx: 0, ecx: 0, edx: 0 }],
    // lzcnt (abm, ecx bit 5); edx: syscall (11), long mode (29).
    ["80000001", { eax: 0, ebx: 0, ecx: 1 << 5, edx: (1 << 11) | (1 << 29) }],
  ]);
}

export class Cpu {
  /** General registers as lo/hi uint32 halves (r[2n], r[2n+1]), then rip at 32/33. */
  readonly r = new Uint32Array(34);
  /** rflags. */
  fl = RFLAGS_FIXED | IF;
  /** High half of the last 64-bit helper result. */
  hi = 0;
  /** fs base lo/hi, gs base lo/hi: added to fs:/gs: memory operands on every access. */
  readonly seg = new Uint32Array(4);
  kernelGsBase = 0n;
  cr0 = 0x80050033n;
  cr2 = 0n;
  cr3 = 0n;
  cr4 = 0x3406e0n;
  cr8 = 0n;
  readonly dr: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0xffff0ff0n, 0x400n];
  /** MSRs other than the fs/gs bases (which live in `seg` and `kernelGsBase`). */
  readonly msrs = new Map<number, bigint>([
    [MSR_EFER, EFER_DEFAULT],
    [MSR_STAR, 0n],
    [MSR_LSTAR, 0n],
    [MSR_FMASK, 0n],
  ]);
  /** The TSC reads as tscBase + instructions retired: deterministic, and monotonic. */
  tscBase = 0n;
  cpuid: Map<string, CpuidLeaf> = defaultCpuid();
  gdtr = { base: 0n, limit: 0 };
  idtr = { base: 0n, limit: 0 };
  tr = 0;
  ldtr = 0;
  halted = false;
  /** Current privilege level: 0 (kernel) or 3 (user); privileged instructions #GP at 3. */
  cpl = 0;
  // Run bookkeeping shared with compiled code (see src/emu/block.ts). Compiled code keeps the
  // counters in locals and writes them back when it leaves, and before anything that can
  // fault or read them (so a helper sees `retired` exact).
  /** Instructions retired since the machine was made; the TSC and rdpmc read it. */
  retired = 0;
  /** Counted by instructions retired: nops, calls, returns, stack slots pushed and popped, code bytes. */
  nops = 0;
  calls = 0;
  returns = 0;
  pushes = 0;
  pops = 0;
  bytes = 0;
  /** Memory accesses made by compiled code (helpers count theirs in Memory). */
  reads = 0;
  writes = 0;
  /** Which instruction of the running region (its index in `Region.sites`) last synced the state: the one that faulted. */
  cur = 0;
  /** The step limit: compiled code enters a block only while `retired` plus its length stays within it. */
  limit = 0;
  /** Set when a store hit a page holding compiled code: the region stops after that instruction. */
  smc = false;

  // ---- BigInt views for loaders, tests and the CLI ----

  get(n: number): bigint {
    return joinAddress(this.r[2 * n]!, this.r[2 * n + 1]!);
  }

  set(n: number, v: bigint): void {
    const [lo, hi] = splitAddress(v);
    this.r[2 * n] = lo;
    this.r[2 * n + 1] = hi;
  }

  get rip(): bigint {
    return joinAddress(this.r[32]!, this.r[33]!);
  }

  set rip(v: bigint) {
    this.set(16, v);
  }

  get rflags(): bigint {
    return BigInt(this.fl >>> 0);
  }

  set rflags(v: bigint) {
    this.fl = (Number(BigInt.asUintN(32, v)) & ~0x28 & ~0x8000 & ~0xffc00000) | RFLAGS_FIXED;
  }

  get fsBase(): bigint {
    return joinAddress(this.seg[0]!, this.seg[1]!);
  }

  set fsBase(v: bigint) {
    [this.seg[0], this.seg[1]] = splitAddress(v);
  }

  get gsBase(): bigint {
    return joinAddress(this.seg[2]!, this.seg[3]!);
  }

  set gsBase(v: bigint) {
    [this.seg[2], this.seg[3]] = splitAddress(v);
  }

  // ---- flags ----

  /**
   * CF PF AF ZF SF OF of an operation that lazy flags recorded (src/emu/flags.ts): kind
   * FLAGS_ADD (res = a + b + c), FLAGS_SUB (a - b - c), FLAGS_LOGIC (CF = OF = 0; AF, which the
   * SDM leaves undefined, cleared as this CPU does),
   * FLAGS_INC / FLAGS_DEC (a ± 1, CF = c), at size s. Values are lo/hi halves masked to the
   * size (hi 0 below 64 bits), as uint32 or as int32 (compiled code's).
   */
  arithFlags(kind: number, s: number, alo: number, ahi: number, blo: number, bhi: number, c: number, rlo: number, rhi: number): number {
    alo >>>= 0;
    ahi >>>= 0;
    blo >>>= 0;
    bhi >>>= 0;
    rlo >>>= 0;
    rhi >>>= 0;
    const wide = s === 64;
    const sign = s >= 32 ? 0x80000000 : 1 << (s - 1);
    const ta = wide ? ahi : alo;
    const tb = wide ? bhi : blo;
    const tr = wide ? rhi : rlo;
    let f = PARITY[rlo & 0xff]! | ((rlo | rhi) === 0 ? ZF : 0) | (tr & sign ? SF : 0);
    if (kind === FLAGS_LOGIC) return f;
    f |= (alo ^ blo ^ rlo) & AF;
    // (x < y) over the whole value, and x = y.
    const below = (xlo: number, xhi: number, ylo: number, yhi: number) => xhi < yhi || (xhi === yhi && xlo < ylo);
    const same = (xlo: number, xhi: number, ylo: number, yhi: number) => xlo === ylo && xhi === yhi;
    if (kind === FLAGS_ADD || kind === FLAGS_INC) {
      if ((ta ^ tr) & (tb ^ tr) & sign) f |= OF;
      if (kind === FLAGS_INC) return f | c;
      return f | (below(rlo, rhi, alo, ahi) || (c !== 0 && same(rlo, rhi, alo, ahi)) ? CF : 0);
    }
    if ((ta ^ tb) & (ta ^ tr) & sign) f |= OF;
    if (kind === FLAGS_DEC) return f | c;
    return f | (below(alo, ahi, blo, bhi) || (c !== 0 && same(alo, ahi, blo, bhi)) ? CF : 0);
  }

  // ---- BigInt-based helpers for the rarer wide operations ----

  /** Flags for a result computed as a BigInt of `s` bits: SF, ZF, PF from the value, plus `others`. */
  szpBig(s: number, v: bigint): number {
    const lo = Number(v & 0xffn);
    return PARITY[lo]! | (v === 0n ? ZF : 0) | ((v >> BigInt(s - 1)) & 1n ? SF : 0);
  }

  /** Returns the low 32 bits of a BigInt and leaves the next 32 in `hi`. */
  ret(v: bigint): number {
    const u = BigInt.asUintN(64, v);
    this.hi = Number(u >> 32n);
    return Number(u & 0xffffffffn);
  }

  static big(lo: number, hi: number): bigint {
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  /** Raises #GP unless at CPL 0 (privileged instructions). */
  privileged(what: string): void {
    if (this.cpl !== 0) throw new FaultSignal("#GP", `${what} is privileged (CPL ${this.cpl})`, false, 13, undefined, 0);
  }

  /** The TSC: exact whenever a helper runs, since compiled code syncs `retired` before calling one. */
  tsc(): bigint {
    return BigInt.asUintN(64, this.tscBase + BigInt(this.retired));
  }
}
