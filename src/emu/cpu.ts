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
import { FaultSignal } from "./fault.js";
import { joinAddress, splitAddress } from "./memory.js";

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const AC = 0x40000;
export const ID = 0x200000;
/** The six arithmetic flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;
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
  // Run bookkeeping shared with compiled blocks (see src/emu/block.ts).
  /** Instructions retired before the current block iteration; the TSC and rdpmc read it. */
  retired = 0;
  /** Index in the current block of the instruction executing (on exit: how many retired). */
  cur = 0;
  /** The step limit: an in-block loop goes round only while retired + its length stays within it. */
  limit = 0;
  /** Set when a store hit a page holding compiled code: the block stops after that instruction. */
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

  private szp(res: number, sign: number): number {
    return PARITY[res & 0xff]! | (res === 0 ? ZF : 0) | (res & sign ? SF : 0);
  }

  private szp64(lo: number, hi: number): number {
    return PARITY[lo & 0xff]! | ((lo | hi) === 0 ? ZF : 0) | (hi & 0x80000000 ? SF : 0);
  }

  // ---- add / sub family (sizes 8, 16, 32) ----

  add(s: number, a: number, b: number, c: number): number {
    const mask = s === 32 ? 0xffffffff : (1 << s) - 1;
    const sign = s === 32 ? 0x80000000 : 1 << (s - 1);
    const r = a + b + c;
    const res = s === 32 ? r >>> 0 : r & mask;
    this.fl = (this.fl & ~ARITH) | (r > mask ? CF : 0) | ((a ^ b ^ res) & AF) | ((a ^ res) & (b ^ res) & sign ? OF : 0) | this.szp(res, sign);
    return res;
  }

  sub(s: number, a: number, b: number, c: number): number {
    const sign = s === 32 ? 0x80000000 : 1 << (s - 1);
    const r = a - b - c;
    const res = s === 32 ? r >>> 0 : r & ((1 << s) - 1);
    this.fl = (this.fl & ~ARITH) | (r < 0 ? CF : 0) | ((a ^ b ^ res) & AF) | ((a ^ b) & (a ^ res) & sign ? OF : 0) | this.szp(res, sign);
    return res;
  }

  /** and, or, xor, test: CF = OF = 0; AF is cleared (SDM: undefined). */
  logic(s: number, res: number): number {
    const sign = s === 32 ? 0x80000000 : 1 << (s - 1);
    this.fl = (this.fl & ~ARITH) | this.szp(res, sign);
    return res;
  }

  /** inc and dec: add/sub 1 keeping CF. */
  incdec(s: number, a: number, delta: 1 | -1): number {
    const keep = this.fl & CF;
    const res = delta === 1 ? this.add(s, a, 1, 0) : this.sub(s, a, 1, 0);
    this.fl = (this.fl & ~CF) | keep;
    return res;
  }

  // ---- add / sub family (64 bits) ----

  add64(alo: number, ahi: number, blo: number, bhi: number, c: number): number {
    const l = alo + blo + c;
    const lo = l >>> 0;
    const h = ahi + bhi + (l > 0xffffffff ? 1 : 0);
    const hi = h >>> 0;
    this.fl = (this.fl & ~ARITH) | (h > 0xffffffff ? CF : 0) | ((alo ^ blo ^ lo) & AF) | ((ahi ^ hi) & (bhi ^ hi) & 0x80000000 ? OF : 0) | this.szp64(lo, hi);
    this.hi = hi;
    return lo;
  }

  sub64(alo: number, ahi: number, blo: number, bhi: number, c: number): number {
    const l = alo - blo - c;
    const lo = l >>> 0;
    const h = ahi - bhi - (l < 0 ? 1 : 0);
    const hi = h >>> 0;
    this.fl = (this.fl & ~ARITH) | (h < 0 ? CF : 0) | ((alo ^ blo ^ lo) & AF) | ((ahi ^ bhi) & (ahi ^ hi) & 0x80000000 ? OF : 0) | this.szp64(lo, hi);
    this.hi = hi;
    return lo;
  }

  logic64(lo: number, hi: number): number {
    this.fl = (this.fl & ~ARITH) | this.szp64(lo, hi);
    this.hi = hi;
    return lo;
  }

  incdec64(lo: number, hi: number, delta: 1 | -1): number {
    const keep = this.fl & CF;
    const res = delta === 1 ? this.add64(lo, hi, 1, 0, 0) : this.sub64(lo, hi, 1, 0, 0);
    this.fl = (this.fl & ~CF) | keep;
    return res;
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

  /** True when the TSC or the counters would read `retired` plus the block's own progress. */
  tsc(extra: number): bigint {
    return BigInt.asUintN(64, this.tscBase + BigInt(this.retired + extra));
  }
}
