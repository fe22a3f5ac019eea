/**
 * Emulated memory: sparse 4 KiB pages with read, write and execute permissions, little-endian,
 * unaligned accesses allowed (also across pages). Hot paths take addresses as two uint32
 * halves (lo, hi) so that compiled code never builds a BigInt; the public API for loaders and
 * tests takes bigints.
 *
 * A page is found by its key `hi * 2^20 + (lo >>> 12)`, exact in a double for every 64-bit
 * address. Small direct-mapped translation caches (one for reads, one for writes) keep the
 * Map lookup off the common path; compiled code checks them inline and calls the `load*` /
 * `store*` methods only when they miss or the access straddles a page. Pages that hold
 * compiled code never enter the write cache: a write to them goes the slow way and tells the
 * block cache to drop the code compiled from that page.
 *
 * Compiled code counts its own accesses (Cpu.reads/writes); `read` and `write`, which helpers
 * use, count theirs here.
 */
import { FaultSignal, PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE } from "./fault.js";

export const PAGE_SIZE = 4096;
export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;
export const PERM_RW = PERM_R | PERM_W;
export const PERM_RWX = PERM_R | PERM_W | PERM_X;
export const PERM_RX = PERM_R | PERM_X;

export class Page {
  readonly data = new Uint8Array(PAGE_SIZE);
  readonly view = new DataView(this.data.buffer);
  /** Number of compiled blocks that read their code from this page. */
  code = 0;
  constructor(public perm: number) {}
}

const TWO32 = 4294967296;

/** Entries in each translation cache (a power of two): slot = (lo >>> 12) & (TLB_SIZE - 1). */
export const TLB_SIZE = 64;
const NO_VIEW = new DataView(new ArrayBuffer(0));

export function pageKey(lo: number, hi: number): number {
  return (hi >>> 0) * 1048576 + (lo >>> 12);
}

export function splitAddress(addr: bigint): [number, number] {
  const a = BigInt.asUintN(64, addr);
  return [Number(a & 0xffffffffn), Number(a >> 32n)];
}

export function joinAddress(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function isCanonical(hi: number): boolean {
  return (hi << 16) >> 16 === (hi | 0);
}

export class Memory {
  private readonly pages = new Map<number, Page>();
  /**
   * The translation caches: a slot holds a page's `lo >>> 12` (its tag; -1 when empty), its
   * `hi` (as an int32, as compiled code holds it) and its bytes. Reads cache readable pages,
   * writes writable pages without code. Addresses may come as uint32 or int32 halves.
   */
  readonly readTags = new Int32Array(TLB_SIZE).fill(-1);
  readonly readHighs = new Int32Array(TLB_SIZE);
  readonly readViews: DataView[] = new Array<DataView>(TLB_SIZE).fill(NO_VIEW);
  readonly writeTags = new Int32Array(TLB_SIZE).fill(-1);
  readonly writeHighs = new Int32Array(TLB_SIZE);
  readonly writeViews: DataView[] = new Array<DataView>(TLB_SIZE).fill(NO_VIEW);
  /** Second half of the last 64-bit read. */
  hi = 0;
  /** Accesses made by helpers, counted for the run's counters (a string instruction counts each element). */
  reads = 0;
  writes = 0;
  /** Set by the machine: 3 makes page-fault error codes say "user". */
  cpl = 0;
  /** Set by compiled code around stack accesses (rsp- or rbp-based): a non-canonical address is then #SS, not #GP. */
  stack = false;
  /** Called before a write lands on a page that holds compiled code. */
  onCodeWrite: (key: number) => void = () => {};

  // ---- mapping (loader API) ----

  /** Maps the pages covering [addr, addr+length) with `perm`; pages already mapped keep their bytes and get `perm`. */
  map(addr: bigint, length: number | bigint, perm: number): void {
    this.forPages(addr, length, (key) => {
      const page = this.pages.get(key);
      if (page) page.perm = perm;
      else this.pages.set(key, new Page(perm));
    });
    this.flushCaches();
  }

  unmap(addr: bigint, length: number | bigint): void {
    this.forPages(addr, length, (key) => {
      const page = this.pages.get(key);
      if (page?.code) this.onCodeWrite(key);
      this.pages.delete(key);
    });
    this.flushCaches();
  }

  /** Changes the permissions of mapped pages in the range; returns false if some page is not mapped. */
  protect(addr: bigint, length: number | bigint, perm: number): boolean {
    let all = true;
    this.forPages(addr, length, (key) => {
      const page = this.pages.get(key);
      if (page) page.perm = perm;
      else all = false;
    });
    this.flushCaches();
    return all;
  }

  /** Writes bytes ignoring permissions (a loader's write); every page must be mapped. */
  poke(addr: bigint, bytes: Uint8Array): void {
    let [lo, hi] = splitAddress(addr);
    for (let i = 0; i < bytes.length; i++) {
      const key = pageKey(lo, hi);
      const page = this.pages.get(key);
      if (!page) throw new RangeError(`poke: address 0x${joinAddress(lo, hi).toString(16)} is not mapped`);
      if (page.code) this.onCodeWrite(key);
      page.data[lo & 0xfff] = bytes[i]!;
      [lo, hi] = increment(lo, hi);
    }
  }

  /** Reads bytes ignoring permissions; undefined if any byte is unmapped. */
  peek(addr: bigint, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length);
    let [lo, hi] = splitAddress(addr);
    for (let i = 0; i < length; i++) {
      const page = this.pages.get(pageKey(lo, hi));
      if (!page) return undefined;
      out[i] = page.data[lo & 0xfff]!;
      [lo, hi] = increment(lo, hi);
    }
    return out;
  }

  // ---- instruction fetch (compile time) ----

  /**
   * Up to `max` code bytes at addr, stopping at the first byte that is not executable; the
   * fault for the first such byte is returned so that a block can raise it when reached.
   */
  fetch(addr: bigint, max: number): { bytes: Uint8Array; fault?: FaultSignal } {
    const out: number[] = [];
    let [lo, hi] = splitAddress(addr);
    for (let i = 0; i < max; i++) {
      const page = this.pages.get(pageKey(lo, hi));
      if (!page || !(page.perm & PERM_X)) {
        return { bytes: Uint8Array.from(out), fault: this.fault(lo, hi, page, PF_FETCH) };
      }
      out.push(page.data[lo & 0xfff]!);
      [lo, hi] = increment(lo, hi);
    }
    return { bytes: Uint8Array.from(out) };
  }

  /** Marks the page of an address as holding compiled code; returns its key. */
  markCode(addr: bigint): number {
    const [lo, hi] = splitAddress(addr);
    const key = pageKey(lo, hi);
    const page = this.pages.get(key);
    if (page) {
      page.code++;
      const tag = lo >>> 12;
      const slot = tag & (TLB_SIZE - 1);
      if (this.writeTags[slot] === tag && this.writeHighs[slot] === (hi | 0)) this.writeTags[slot] = -1;
    }
    return key;
  }

  /** The block cache dropped every block of a page. */
  clearCode(key: number): void {
    const page = this.pages.get(key);
    if (page) page.code = 0;
  }

  // ---- data access (run time) ----

  load8(lo: number, hi: number): number {
    return this.readPage(lo, hi, 1).getUint8(lo & 0xfff);
  }

  load16(lo: number, hi: number): number {
    const off = lo & 0xfff;
    if (off <= PAGE_SIZE - 2) return this.readPage(lo, hi, 2).getUint16(off, true);
    return this.readSlow(lo, hi, 2);
  }

  load32(lo: number, hi: number): number {
    const off = lo & 0xfff;
    if (off <= PAGE_SIZE - 4) return this.readPage(lo, hi, 4).getUint32(off, true);
    return this.readSlow(lo, hi, 4);
  }

  /** Returns the low half; the high half is left in `this.hi`. */
  load64(lo: number, hi: number): number {
    const off = lo & 0xfff;
    if (off <= PAGE_SIZE - 8) {
      const view = this.readPage(lo, hi, 8);
      this.hi = view.getUint32(off + 4, true);
      return view.getUint32(off, true);
    }
    const low = this.readSlow(lo, hi, 4);
    const [l2, h2] = add32(lo, hi, 4);
    this.hi = this.readSlow(l2, h2, 4);
    return low;
  }

  store8(lo: number, hi: number, v: number): void {
    this.writePage(lo, hi, 1).setUint8(lo & 0xfff, v);
  }

  store16(lo: number, hi: number, v: number): void {
    const off = lo & 0xfff;
    if (off <= PAGE_SIZE - 2) this.writePage(lo, hi, 2).setUint16(off, v, true);
    else this.writeSlow(lo, hi, 2, v, 0);
  }

  store32(lo: number, hi: number, v: number): void {
    const off = lo & 0xfff;
    if (off <= PAGE_SIZE - 4) this.writePage(lo, hi, 4).setUint32(off, v, true);
    else this.writeSlow(lo, hi, 4, v, 0);
  }

  store64(lo: number, hi: number, vlo: number, vhi: number): void {
    const off = lo & 0xfff;
    if (off <= PAGE_SIZE - 8) {
      const view = this.writePage(lo, hi, 8);
      view.setUint32(off, vlo, true);
      view.setUint32(off + 4, vhi, true);
    } else this.writeSlow(lo, hi, 8, vlo, vhi);
  }

  /** A counted access of 1, 2, 4 or 8 bytes, for helpers; an 8-byte read leaves its high half in `this.hi`. */
  read(lo: number, hi: number, bytes: number): number {
    this.reads++;
    return bytes === 8 ? this.load64(lo, hi) : bytes === 4 ? this.load32(lo, hi) : bytes === 2 ? this.load16(lo, hi) : this.load8(lo, hi);
  }

  write(lo: number, hi: number, bytes: number, vlo: number, vhi = 0): void {
    this.writes++;
    if (bytes === 8) this.store64(lo, hi, vlo, vhi);
    else if (bytes === 4) this.store32(lo, hi, vlo);
    else if (bytes === 2) this.store16(lo, hi, vlo);
    else this.store8(lo, hi, vlo);
  }

  /** Faults unless [lo,hi]+size is writable; used before a multi-part store so that it is all or nothing. */
  probeWrite(lo: number, hi: number, size: number): void {
    this.writePage(lo, hi, size);
    const [l2, h2] = add32(lo, hi, size - 1);
    // A store that straddles into a bad page faults at that page's first byte, as the CPU reports it.
    if (pageKey(l2, h2) !== pageKey(lo, hi)) this.writePage(l2 & ~0xfff, h2, 1);
  }

  // ---- internals ----

  private readPage(lo: number, hi: number, size: number): DataView {
    const tag = lo >>> 12;
    const slot = tag & (TLB_SIZE - 1);
    if (this.readTags[slot] === tag && this.readHighs[slot] === (hi | 0)) return this.readViews[slot]!;
    const page = this.pages.get(pageKey(lo, hi));
    if (!page || !(page.perm & PERM_R)) throw this.fault(lo, hi, page, 0, size);
    this.readTags[slot] = tag;
    this.readHighs[slot] = hi;
    this.readViews[slot] = page.view;
    return page.view;
  }

  private writePage(lo: number, hi: number, size: number): DataView {
    const tag = lo >>> 12;
    const slot = tag & (TLB_SIZE - 1);
    if (this.writeTags[slot] === tag && this.writeHighs[slot] === (hi | 0)) return this.writeViews[slot]!;
    const key = pageKey(lo, hi);
    const page = this.pages.get(key);
    if (!page || !(page.perm & PERM_W)) throw this.fault(lo, hi, page, PF_WRITE, size);
    if (page.code) this.onCodeWrite(key);
    else {
      this.writeTags[slot] = tag;
      this.writeHighs[slot] = hi;
      this.writeViews[slot] = page.view;
    }
    return page.view;
  }

  /** Reads size (<= 4) bytes that may straddle a page boundary; checks every page before returning. */
  private readSlow(lo: number, hi: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) {
      const [l, h] = add32(lo, hi, i);
      v += this.readPage(l, h, 1).getUint8(l & 0xfff) * 2 ** (8 * i);
    }
    return v;
  }

  private writeSlow(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    this.probeWrite(lo, hi, size);
    for (let i = 0; i < size; i++) {
      const [l, h] = add32(lo, hi, i);
      const byte = i < 4 ? (vlo >>> (8 * i)) & 0xff : (vhi >>> (8 * (i - 4))) & 0xff;
      this.writePage(l, h, 1).setUint8(l & 0xfff, byte);
    }
  }

  private fault(lo: number, hi: number, page: Page | undefined, kind: number, size = 1): FaultSignal {
    if (!isCanonical(hi)) {
      const vector = this.stack ? "#SS" : "#GP";
      return new FaultSignal(vector, `non-canonical address 0x${joinAddress(lo, hi).toString(16)}`, false, undefined, undefined, 0);
    }
    // An access that straddles into an unmapped page reports the first byte that faults.
    const address = joinAddress(lo, hi);
    const code = (page ? PF_PRESENT : 0) | kind | (this.cpl === 3 ? PF_USER : 0);
    const what = kind & PF_FETCH ? "fetch" : kind & PF_WRITE ? "write" : "read";
    const why = page ? `not ${kind & PF_FETCH ? "executable" : kind & PF_WRITE ? "writable" : "readable"}` : "not mapped";
    return new FaultSignal("#PF", `${what} of ${size} byte${size > 1 ? "s" : ""} at 0x${address.toString(16)}: page ${why}`, false, 14, address, code);
  }

  private flushCaches(): void {
    this.readTags.fill(-1);
    this.writeTags.fill(-1);
  }

  private forPages(addr: bigint, length: number | bigint, fn: (key: number) => void): void {
    const len = BigInt(length);
    if (len <= 0n) return;
    const first = BigInt.asUintN(64, addr) >> 12n;
    const last = BigInt.asUintN(64, BigInt.asUintN(64, addr) + len - 1n) >> 12n;
    for (let p = first; p <= last; p++) fn(Number(p));
  }
}

function increment(lo: number, hi: number): [number, number] {
  return add32(lo, hi, 1);
}

/** (lo, hi) + a small non-negative number, wrapping at 2^64. */
export function add32(lo: number, hi: number, n: number): [number, number] {
  const s = (lo >>> 0) + n;
  return s >= TWO32 ? [s - TWO32, (hi + 1) >>> 0] : [s, hi >>> 0];
}
