/**
 * Run-time helpers for the instructions too wide or too rare to inline in compiled blocks:
 * multiply and divide, shifts and rotates (through BigInt), bit scans, string operations,
 * the stack-heavy enter/iret, and the system instructions that touch control registers, MSRs
 * and the descriptor-table registers. Compiled code reaches them as `H`.
 *
 * Every helper reads all it needs and raises its fault before it changes architectural state,
 * so a faulting instruction leaves the machine as it found it (string operations, which the
 * CPU restarts element by element, keep the elements already done).
 */
import {
  AC,
  ARITH,
  CF,
  Cpu,
  DF,
  IF,
  IOPL,
  MSR_EFER,
  MSR_FMASK,
  MSR_FS_BASE,
  MSR_GS_BASE,
  MSR_KERNEL_GS_BASE,
  MSR_LSTAR,
  MSR_TSC,
  OF,
  PF,
  AF,
  PARITY,
  POPF_MASK,
  RF,
  RFLAGS_FIXED,
  SF,
  ZF,
} from "./cpu.js";
import { FaultSignal, type FaultVector } from "./fault.js";
import { isCanonical, joinAddress, splitAddress, type Memory } from "./memory.js";

/** Observers of control transfers, for scenario runners and convention checkers. */
export interface CallHooks {
  /** After a call: rip is the callee, the return address is on the stack. */
  onCall?: (site: bigint, target: bigint, returnAddress: bigint) => void;
  /** After a ret: rip is the return address. */
  onRet?: (site: bigint, returnAddress: bigint) => void;
}

const TWO32 = 4294967296;
const big = Cpu.big;
const mask = (s: number) => (1n << BigInt(s)) - 1n;

function gp(message: string): FaultSignal {
  return new FaultSignal("#GP", message, false, 13, undefined, 0);
}

function ud(message: string): FaultSignal {
  return new FaultSignal("#UD", message, false, 6);
}

export class Helpers {
  hooks: CallHooks = {};

  constructor(
    readonly C: Cpu,
    readonly M: Memory,
  ) {}

  fault(vector: FaultVector, message: string, trap: boolean, number?: number, address?: bigint, errorCode?: number): FaultSignal {
    return new FaultSignal(vector, message, trap, number, address, errorCode);
  }

  // ---- register access by number (lo/hi) ----

  private reg(n: number): bigint {
    return big(this.C.r[2 * n]!, this.C.r[2 * n + 1]!);
  }

  private setReg(n: number, v: bigint, bits = 64): void {
    const r = this.C.r;
    const u = BigInt.asUintN(bits, v);
    if (bits === 64 || bits === 32) {
      r[2 * n] = Number(u & 0xffffffffn);
      r[2 * n + 1] = bits === 64 ? Number(u >> 32n) : 0;
    } else {
      const m = bits === 16 ? 0xffff : 0xff;
      r[2 * n] = (r[2 * n]! & ~m) | Number(u);
    }
  }

  /** Adds a signed delta to register n (rsp, rsi, rdi, rcx) without leaving numbers. */
  step(n: number, delta: number): void {
    const r = this.C.r;
    let lo = r[2 * n]! + delta;
    let hi = r[2 * n + 1]!;
    if (lo < 0) {
      lo += TWO32;
      hi = (hi - 1) >>> 0;
    } else if (lo >= TWO32) {
      lo -= TWO32;
      hi = (hi + 1) >>> 0;
    }
    r[2 * n] = lo;
    r[2 * n + 1] = hi;
  }

  // ---- multiply and divide ----

  /** One-operand mul/imul/div/idiv of size s: the accumulator pair is implicit. */
  mulDiv(kind: "mul" | "imul" | "div" | "idiv", s: number, lo: number, hi: number): void {
    const C = this.C;
    const signed = kind === "imul" || kind === "idiv";
    const src = signed ? BigInt.asIntN(s, big(lo, hi)) : BigInt.asUintN(s, big(lo, hi));
    const acc = s === 8 ? BigInt(C.r[0]! & 0xff) : BigInt.asUintN(s, this.reg(0));
    if (kind === "mul" || kind === "imul") {
      const a = signed ? BigInt.asIntN(s, acc) : acc;
      const product = a * src;
      // SF, ZF, AF and PF are undefined; this CPU leaves them as they were.
      const low = BigInt.asUintN(s, product);
      const high = BigInt.asUintN(s, product >> BigInt(s));
      const overflow = signed ? product !== BigInt.asIntN(s, product) : high !== 0n;
      if (s === 8) this.setReg(0, BigInt.asUintN(16, product), 16);
      else {
        this.setReg(0, low, s);
        this.setReg(2, high, s);
      }
      C.fl = (C.fl & ~(CF | OF)) | (overflow ? CF | OF : 0);
      return;
    }
    if (src === 0n) throw new FaultSignal("#DE", `${kind} by zero`, false);
    const dividendBits = 2 * s;
    const raw = s === 8 ? BigInt(C.r[0]! & 0xffff) : (BigInt.asUintN(s, this.reg(2)) << BigInt(s)) | acc;
    const dividend = signed ? BigInt.asIntN(dividendBits, raw) : raw;
    const q = dividend / src; // BigInt division truncates toward zero, as idiv does
    const rem = dividend % src;
    const fits = signed ? q === BigInt.asIntN(s, q) : q === BigInt.asUintN(s, q);
    if (!fits) throw new FaultSignal("#DE", `${kind} quotient does not fit in ${s} bits`, false);
    if (s === 8) this.setReg(0, (BigInt.asUintN(8, rem) << 8n) | BigInt.asUintN(8, q), 16);
    else {
      this.setReg(0, q, s);
      this.setReg(2, rem, s);
    }
    // Every status flag is undefined; this CPU sets AF, clears SF, ZF and PF, and keeps CF and OF.
    C.fl = (C.fl & ~(SF | ZF | PF)) | AF;
  }

  /** Two- and three-operand imul at 64 bits: returns the low half, sets CF = OF = the product did not fit. */
  imul64(alo: number, ahi: number, blo: number, bhi: number): number {
    const product = BigInt.asIntN(64, big(alo, ahi)) * BigInt.asIntN(64, big(blo, bhi));
    const low = BigInt.asUintN(64, product);
    this.C.fl = (this.C.fl & ~(CF | OF)) | (product !== BigInt.asIntN(64, product) ? CF | OF : 0);
    return this.C.ret(low);
  }

  /** Two- and three-operand imul at 16 and 32 bits (a, b unsigned images). */
  imul(s: number, a: number, b: number): number {
    const sa = s === 32 ? a | 0 : (a << 16) >> 16;
    const sb = s === 32 ? b | 0 : (b << 16) >> 16;
    const exact = sa * sb;
    const low = s === 32 ? Math.imul(sa, sb) >>> 0 : exact & 0xffff;
    const fits = s === 32 ? exact === Math.imul(sa, sb) : exact === ((low << 16) >> 16);
    this.C.fl = (this.C.fl & ~(CF | OF)) | (fits ? 0 : CF | OF);
    return low;
  }

  // ---- shifts and rotates ----

  /** rol ror rcl rcr shl shr (sal) sar, by the ModRM digit; a masked count of 0 changes nothing. */
  shift(digit: number, s: number, lo: number, hi: number, count: number): number {
    const C = this.C;
    const c = count & (s === 64 ? 63 : 31);
    C.hi = hi;
    if (c === 0) return lo;
    const S = BigInt(s);
    const M = mask(s);
    const v = big(lo, hi);
    const msb = (x: bigint) => Number((x >> (S - 1n)) & 1n);
    const oldCf = C.fl & CF;
    let res: bigint;
    let cf: number;
    let of: number;
    let arith = true;
    switch (digit) {
      case 0:
      case 1: {
        const t = BigInt(c % s);
        res = digit === 0 ? ((v << t) | (v >> (S - t))) & M : ((v >> t) | (v << (S - t))) & M;
        cf = digit === 0 ? Number(res & 1n) : msb(res);
        of = digit === 0 ? msb(res) ^ cf : msb(res) ^ Number((res >> (S - 2n)) & 1n);
        arith = false;
        break;
      }
      case 2:
      case 3: {
        // Through CF: 8- and 16-bit rotates go round s+1 bits. A count that is a multiple of
        // s+1 moves nothing, but (on this CPU) still sets OF from the unchanged value.
        const t = s <= 16 ? c % (s + 1) : c;
        const T = BigInt(t);
        const W = mask(s + 1);
        const w = (BigInt(oldCf) << S) | v;
        const rot = t === 0 ? w : digit === 2 ? ((w << T) | (w >> (S + 1n - T))) & W : ((w >> T) | (w << (S + 1n - T))) & W;
        res = rot & M;
        cf = Number(rot >> S);
        of = digit === 2 ? msb(res) ^ cf : msb(res) ^ Number((res >> (S - 2n)) & 1n);
        arith = false;
        break;
      }
      case 5: {
        const C2 = BigInt(c);
        res = v >> C2;
        cf = Number((v >> (C2 - 1n)) & 1n);
        // The SDM defines OF for a count of 1 (the original sign); this CPU uses the sign before the last step.
        of = msb(v >> (C2 - 1n));
        break;
      }
      case 7: {
        const C2 = BigInt(c);
        const sv = BigInt.asIntN(s, v);
        res = BigInt.asUintN(s, sv >> C2);
        cf = Number((sv >> (C2 - 1n)) & 1n);
        of = 0;
        break;
      }
      default: {
        // shl, and its /6 alias.
        const C2 = BigInt(c);
        res = (v << C2) & M;
        cf = c <= s ? Number((v >> (S - C2)) & 1n) : 0;
        of = msb(res) ^ cf;
        break;
      }
    }
    // AF is undefined for shifts; this CPU sets it.
    if (arith) C.fl = (C.fl & ~ARITH) | cf | (of ? OF : 0) | AF | C.szpBig(s, res);
    else C.fl = (C.fl & ~(CF | OF)) | cf | (of ? OF : 0);
    return C.ret(res);
  }

  /** shld (left) and shrd: dst shifted with bits from src coming in. */
  shiftDouble(left: boolean, s: number, dlo: number, dhi: number, slo: number, shi: number, count: number): number {
    const C = this.C;
    const c = count & (s === 64 ? 63 : 31);
    C.hi = dhi;
    if (c === 0) return dlo;
    const S = BigInt(s);
    const dst = big(dlo, dhi);
    const src = big(slo, shi);
    // The s-bit window of dst:src (shld) or src:dst (shrd) after n steps. Counts above 16 for
    // a 16-bit operand (undefined) keep going round the 48-bit dst:src:dst pattern.
    const wide = s === 16 ? (dst << 32n) | (src << 16n) | dst : (dst << S) | src;
    const width = s === 16 ? 48n : 2n * S;
    const window = (n: bigint) =>
      left ? (wide >> (width - S - n)) & mask(s) : ((s === 16 ? (dst | (src << 16n) | (dst << 32n)) : dst | (src << S)) >> n) & mask(s);
    const T = BigInt(c);
    const res = window(T);
    const before = window(T - 1n);
    const cf = left ? Number((window(T - 1n) >> (S - 1n)) & 1n) : Number(before & 1n);
    // OF is defined for a count of 1 (did the sign change); this CPU compares with the value before the last step.
    const of = Number(((res ^ before) >> (S - 1n)) & 1n);
    // AF is undefined; this CPU sets it.
    C.fl = (C.fl & ~ARITH) | cf | (of ? OF : 0) | AF | C.szpBig(s, res);
    return C.ret(res);
  }

  // ---- bits ----

  /** bt/bts/btr/btc with a register bit offset on memory: the address of the operand-sized unit holding the bit. */
  bitAddress(alo: number, ahi: number, olo: number, ohi: number, s: number): number {
    const offset = BigInt.asIntN(s, big(olo, ohi));
    const unit = offset >> BigInt(Math.log2(s));
    return this.C.ret(big(alo, ahi) + unit * BigInt(s / 8));
  }

  /** bsf (forward) / bsr: the bit index, or -1 for a zero source (the destination then keeps its value). */
  bitScan(forward: boolean, lo: number, hi: number): number {
    const C = this.C;
    if ((lo | hi) === 0) {
      // CF, OF, SF, AF and PF are undefined; this CPU clears them but sets PF as for a result of 0.
      C.fl = (C.fl & ~ARITH) | ZF | PF;
      return -1;
    }
    let n: number;
    if (forward) n = lo ? 31 - Math.clz32(lo & -lo) : 63 - Math.clz32(hi & -hi);
    else n = hi ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
    C.fl = (C.fl & ~ARITH) | PARITY[n]!;
    return n;
  }

  /** lzcnt / tzcnt of an s-bit value: CF = source was zero, ZF = result is zero. */
  count(leading: boolean, s: number, lo: number, hi: number): number {
    let n: number;
    if ((lo | hi) === 0) n = s;
    else if (leading) n = s === 64 ? (hi ? Math.clz32(hi) : 32 + Math.clz32(lo)) : Math.clz32(lo) - (32 - s);
    else n = lo ? 31 - Math.clz32(lo & -lo) : 63 - Math.clz32(hi & -hi);
    // OF, SF, AF and PF are undefined; this CPU clears SF, AF and PF and keeps OF.
    this.C.fl = (this.C.fl & ~(CF | ZF | SF | AF | PF)) | (n === s ? CF : 0) | (n === 0 ? ZF : 0);
    return n;
  }

  popcnt(lo: number, hi: number): number {
    const bits = (x: number) => {
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    };
    const n = bits(lo) + bits(hi);
    this.C.fl = (this.C.fl & ~ARITH) | (n === 0 ? ZF : 0);
    return n;
  }

  // ---- stack ----

  pushfValue(): number {
    return this.C.fl & ~RF;
  }

  /** Loads rflags as popf/iret may at the current privilege level. */
  loadFlags(value: number, bits: number): void {
    const C = this.C;
    let changeable = POPF_MASK;
    if (C.cpl > 0) changeable &= ~IOPL;
    if (C.cpl > (C.fl & IOPL) >> 12) changeable &= ~IF;
    if (bits === 16) changeable &= 0xffff;
    C.fl = (C.fl & ~changeable) | (value & changeable) | RFLAGS_FIXED;
  }

  /** enter: the CPU stores the frame, then checks the final stack top is writable before it changes a register. */
  enter(size: number, level: number): void {
    const M = this.M;
    const n = level & 31;
    const rsp = this.reg(4);
    let rbp = this.reg(5);
    const frame = BigInt.asUintN(64, rsp - 8n);
    const slots = n > 0 ? n + 1 : 1;
    const final = BigInt.asUintN(64, rsp - 8n * BigInt(slots) - BigInt(size));
    M.stack = true;
    M.probeWrite(...splitAddress(rsp - 8n * BigInt(slots)), 8 * slots);
    const values: bigint[] = [rbp];
    for (let i = 1; i < n; i++) {
      rbp = BigInt.asUintN(64, rbp - 8n);
      const [lo, hi] = splitAddress(rbp);
      values.push(big(M.read(lo, hi, 8), M.hi));
    }
    if (n > 0) values.push(frame);
    values.forEach((v, i) => {
      const [lo, hi] = splitAddress(rsp - 8n * BigInt(i + 1));
      const [vlo, vhi] = splitAddress(v);
      M.write(lo, hi, 8, vlo, vhi);
    });
    M.probeWrite(...splitAddress(final), 1);
    M.stack = false;
    this.setReg(5, frame);
    this.setReg(4, final);
  }

  iret(bits: number): void {
    const C = this.C;
    const M = this.M;
    const bytes = bits / 8;
    const slots: bigint[] = [];
    M.stack = true;
    let [lo, hi] = [C.r[8]!, C.r[9]!];
    for (let i = 0; i < 5; i++) {
      const v = bits === 64 ? big(M.read(lo, hi, 8), M.hi) : BigInt(M.read(lo, hi, 4));
      slots.push(v);
      const next = lo + bytes;
      [lo, hi] = next >= TWO32 ? [next - TWO32, (hi + 1) >>> 0] : [next, hi];
    }
    M.stack = false;
    const [rip, cs, flags, rsp] = slots as [bigint, bigint, bigint, bigint];
    const cpl = Number(cs & 3n);
    if (cpl < C.cpl) throw gp(`iret to CPL ${cpl} from CPL ${C.cpl}`);
    const [rlo, rhi] = splitAddress(rip);
    if (!isCanonical(rhi)) throw gp(`iret to non-canonical rip 0x${rip.toString(16)}`);
    this.loadFlags(Number(flags & 0xffffffffn), 32);
    C.fl &= ~RF;
    C.cpl = cpl;
    this.M.cpl = cpl;
    this.setReg(4, rsp);
    C.r[32] = rlo;
    C.r[33] = rhi;
  }

  // ---- string operations ----

  /** movs, stos, lods of `bytes`-sized elements, `rep`-prefixed or not; seg is the source's fs/gs base index or -1. */
  string(kind: "movs" | "stos" | "lods", bytes: number, rep: boolean, seg: number): void {
    const C = this.C;
    const M = this.M;
    const r = C.r;
    const delta = C.fl & DF ? -bytes : bytes;
    for (;;) {
      if (rep && (r[2]! | r[3]!) === 0) return;
      let value = 0;
      let valueHi = 0;
      if (kind !== "stos") {
        let lo = r[12]!;
        let hi = r[13]!;
        if (seg >= 0) [lo, hi] = addBase(lo, hi, C.seg[seg]!, C.seg[seg + 1]!);
        value = M.read(lo, hi, bytes);
        valueHi = bytes === 8 ? M.hi : 0;
      } else {
        value = r[0]!;
        valueHi = r[1]!;
      }
      if (kind === "lods") {
        if (bytes === 8 || bytes === 4) {
          r[0] = value;
          r[1] = valueHi;
        } else {
          const m = bytes === 2 ? 0xffff : 0xff;
          r[0] = (r[0]! & ~m) | value;
        }
      } else {
        // Stores of 1 and 2 bytes keep the low bits of the accumulator.
        M.write(r[14]!, r[15]!, bytes, value, valueHi);
        this.step(7, delta);
      }
      if (kind !== "stos") this.step(6, delta);
      if (!rep) return;
      this.step(1, -1);
    }
  }

  // ---- atomics ----

  /** cmpxchg8b (bytes 8) and cmpxchg16b (16) at an address. */
  cmpxchgWide(lo: number, hi: number, bytes: number): void {
    const C = this.C;
    const M = this.M;
    if (bytes === 16 && lo & 15) throw gp(`cmpxchg16b operand 0x${joinAddress(lo, hi).toString(16)} is not 16-byte aligned`);
    M.probeWrite(lo, hi, bytes);
    const half = bytes / 2;
    const [l2, h2] = addBase(lo, hi, half, 0);
    const read = (a: number, b: number) => (half === 8 ? big(M.read(a, b, 8), M.hi) : BigInt(M.read(a, b, 4)));
    const memLow = read(lo, hi);
    const memHigh = read(l2, h2);
    const bits = half * 8;
    const accLow = BigInt.asUintN(bits, this.reg(0));
    const accHigh = BigInt.asUintN(bits, this.reg(2));
    const write = (a: number, b: number, v: bigint) => {
      const [vlo, vhi] = splitAddress(v);
      M.write(a, b, half, vlo, vhi);
    };
    if (memLow === accLow && memHigh === accHigh) {
      write(lo, hi, BigInt.asUintN(bits, this.reg(3)));
      write(l2, h2, BigInt.asUintN(bits, this.reg(1)));
      C.fl |= ZF;
    } else {
      // The CPU writes the old value back (the locked cycle always stores).
      write(lo, hi, memLow);
      write(l2, h2, memHigh);
      this.setReg(0, memLow, bits);
      this.setReg(2, memHigh, bits);
      C.fl &= ~ZF;
    }
  }

  // ---- system ----

  /** cli and sti: need CPL <= IOPL. */
  setInterruptFlag(on: boolean): void {
    const C = this.C;
    if (C.cpl > (C.fl & IOPL) >> 12) throw gp(`${on ? "sti" : "cli"} at CPL ${C.cpl} with IOPL ${(C.fl & IOPL) >> 12}`);
    C.fl = on ? C.fl | IF : C.fl & ~IF;
  }

  /** clac and stac: CPL 0 only (#UD otherwise). */
  setAlignmentCheck(on: boolean): void {
    if (this.C.cpl !== 0) throw ud(`${on ? "stac" : "clac"} at CPL ${this.C.cpl}`);
    this.C.fl = on ? this.C.fl | AC : this.C.fl & ~AC;
  }

  readControl(n: number): number {
    this.C.privileged("mov from %cr" + n);
    return this.C.ret(this.control(n));
  }

  private control(n: number): bigint {
    const C = this.C;
    switch (n) {
      case 0:
        return C.cr0;
      case 2:
        return C.cr2;
      case 3:
        return C.cr3;
      case 4:
        return C.cr4;
      case 8:
        return C.cr8;
    }
    throw ud(`%cr${n} does not exist`);
  }

  writeControl(n: number, lo: number, hi: number): void {
    const C = this.C;
    C.privileged("mov to %cr" + n);
    this.control(n);
    const v = big(lo, hi);
    if ((n === 0 || n === 4) && hi !== 0) throw gp(`reserved bits set in %cr${n}`);
    if (n === 8 && v > 15n) throw gp("reserved bits set in %cr8");
    if (n === 0) C.cr0 = v;
    else if (n === 2) C.cr2 = v;
    else if (n === 3) C.cr3 = v;
    else if (n === 4) C.cr4 = v;
    else C.cr8 = v;
  }

  private debugIndex(n: number): number {
    if (n === 4 || n === 5) {
      if (this.C.cr4 & 8n) throw ud(`%db${n} with CR4.DE set`);
      return n + 2;
    }
    return n;
  }

  readDebug(n: number): number {
    this.C.privileged("mov from %db" + n);
    return this.C.ret(this.C.dr[this.debugIndex(n)]!);
  }

  writeDebug(n: number, lo: number, hi: number): void {
    this.C.privileged("mov to %db" + n);
    const i = this.debugIndex(n);
    if ((i === 6 || i === 7) && hi !== 0) throw gp(`reserved bits set in %db${i}`);
    this.C.dr[i] = big(lo, hi);
  }

  readMsr(): void {
    const C = this.C;
    C.privileged("rdmsr");
    const index = C.r[2]!; // ecx
    const v = this.msr(index);
    if (v === undefined) throw gp(`rdmsr of unknown MSR 0x${index.toString(16)}`);
    this.setReg(0, v & 0xffffffffn, 32);
    this.setReg(2, v >> 32n, 32);
  }

  msr(index: number): bigint | undefined {
    const C = this.C;
    if (index === MSR_FS_BASE) return C.fsBase;
    if (index === MSR_GS_BASE) return C.gsBase;
    if (index === MSR_KERNEL_GS_BASE) return C.kernelGsBase;
    if (index === MSR_TSC) return C.tsc();
    return C.msrs.get(index);
  }

  writeMsr(): void {
    const C = this.C;
    C.privileged("wrmsr");
    const index = C.r[2]!;
    const v = (BigInt(C.r[4]!) << 32n) | BigInt(C.r[0]!);
    if (index === MSR_FS_BASE || index === MSR_GS_BASE || index === MSR_KERNEL_GS_BASE || index === MSR_LSTAR) {
      if (!isCanonical(C.r[4]!)) throw gp(`wrmsr 0x${index.toString(16)}: non-canonical address 0x${v.toString(16)}`);
    }
    if (index === MSR_FS_BASE) C.fsBase = v;
    else if (index === MSR_GS_BASE) C.gsBase = v;
    else if (index === MSR_KERNEL_GS_BASE) C.kernelGsBase = v;
    else if (index === MSR_TSC) C.tscBase = v - BigInt(C.retired);
    else if (C.msrs.has(index)) C.msrs.set(index, v);
    else throw gp(`wrmsr to unknown MSR 0x${index.toString(16)}`);
  }

  swapgs(): void {
    const C = this.C;
    C.privileged("swapgs");
    const gs = C.gsBase;
    C.gsBase = C.kernelGsBase;
    C.kernelGsBase = gs;
  }

  cpuid(): void {
    const C = this.C;
    const leaf = C.r[0]!.toString(16);
    const sub = C.r[2]!.toString(16);
    const v = C.cpuid.get(`${leaf}.${sub}`) ?? C.cpuid.get(leaf) ?? { eax: 0, ebx: 0, ecx: 0, edx: 0 };
    this.setReg(0, BigInt(v.eax >>> 0), 32);
    this.setReg(3, BigInt(v.ebx >>> 0), 32);
    this.setReg(1, BigInt(v.ecx >>> 0), 32);
    this.setReg(2, BigInt(v.edx >>> 0), 32);
  }

  rdtsc(): void {
    const C = this.C;
    if (C.cpl > 0 && C.cr4 & 4n) throw gp("rdtsc at CPL 3 with CR4.TSD set");
    const t = C.tsc();
    this.setReg(0, t & 0xffffffffn, 32);
    this.setReg(2, t >> 32n, 32);
  }

  /** rdpmc: fixed counter 0 (ecx = 0x40000000) counts instructions retired; the others read 0. */
  rdpmc(): void {
    const C = this.C;
    if (C.cpl > 0 && !(C.cr4 & 0x100n)) throw gp("rdpmc at CPL 3 with CR4.PCE clear");
    const index = C.r[2]!;
    const known = index < 8 || (index >= 0x40000000 && index < 0x40000003);
    if (!known) throw gp(`rdpmc of unknown counter 0x${index.toString(16)}`);
    const v = index === 0x40000000 ? BigInt(C.retired) : 0n;
    this.setReg(0, v & 0xffffffffn, 32);
    this.setReg(2, (v >> 32n) & 0xffffn, 32);
  }

  syscall(nextLo: number, nextHi: number): void {
    const C = this.C;
    if (!((C.msrs.get(MSR_EFER) ?? 0n) & 1n)) throw ud("syscall with EFER.SCE clear");
    this.setReg(1, big(nextLo, nextHi));
    this.setReg(11, BigInt(C.fl & ~RF));
    const fmask = Number((C.msrs.get(MSR_FMASK) ?? 0n) & 0xffffffffn);
    C.fl = ((C.fl & ~fmask & ~RF) | RFLAGS_FIXED) >>> 0;
    C.cpl = 0;
    this.M.cpl = 0;
    [C.r[32], C.r[33]] = splitAddress(C.msrs.get(MSR_LSTAR) ?? 0n);
  }

  sysret(bits: number): void {
    const C = this.C;
    if (!((C.msrs.get(MSR_EFER) ?? 0n) & 1n)) throw ud("sysret with EFER.SCE clear");
    C.privileged("sysret");
    const target = bits === 64 ? this.reg(1) : BigInt(C.r[2]!);
    const [lo, hi] = splitAddress(target);
    if (!isCanonical(hi)) throw gp(`sysret to non-canonical rip 0x${target.toString(16)}`);
    C.fl = (C.r[22]! & 0x3c7fd7) | RFLAGS_FIXED;
    C.cpl = 3;
    this.M.cpl = 3;
    C.r[32] = lo;
    C.r[33] = hi;
  }

  /** Reads a 10-byte pseudo-descriptor (lgdt, lidt). */
  loadTable(which: "gdtr" | "idtr", lo: number, hi: number): void {
    const C = this.C;
    C.privileged(which === "gdtr" ? "lgdt" : "lidt");
    const limit = this.M.read(lo, hi, 2);
    const [l2, h2] = addBase(lo, hi, 2, 0);
    const base = big(this.M.read(l2, h2, 8), this.M.hi);
    C[which] = { base, limit };
  }

  /** Stores a 10-byte pseudo-descriptor (sgdt, sidt); #GP at CPL 3 with CR4.UMIP. */
  storeTable(which: "gdtr" | "idtr", lo: number, hi: number): void {
    this.checkUmip(which === "gdtr" ? "sgdt" : "sidt");
    const t = this.C[which];
    this.M.probeWrite(lo, hi, 10);
    this.M.write(lo, hi, 2, t.limit);
    const [l2, h2] = addBase(lo, hi, 2, 0);
    const [blo, bhi] = splitAddress(t.base);
    this.M.write(l2, h2, 8, blo, bhi);
  }

  checkUmip(what: string): void {
    if (this.C.cpl > 0 && this.C.cr4 & 0x800n) throw gp(`${what} at CPL ${this.C.cpl} with CR4.UMIP set`);
  }

  halt(): void {
    this.C.privileged("hlt");
    this.C.halted = true;
  }

  // ---- hooks ----

  /** After a call: `site` is the call instruction, `returnAddress` the one after it; rip is the callee. */
  call(site: bigint, returnAddress: bigint): void {
    this.hooks.onCall?.(site, joinAddress(this.C.r[32]!, this.C.r[33]!), returnAddress);
  }

  ret(site: bigint): void {
    this.hooks.onRet?.(site, joinAddress(this.C.r[32]!, this.C.r[33]!));
  }
}

/** (lo, hi) + (blo, bhi), wrapping; halves as uint32 or int32 (compiled code's), the sum as uint32. */
export function addBase(lo: number, hi: number, blo: number, bhi: number): [number, number] {
  const s = (lo >>> 0) + (blo >>> 0);
  return s >= TWO32 ? [s - TWO32, (hi + bhi + 1) >>> 0] : [s, (hi + bhi) >>> 0];
}
