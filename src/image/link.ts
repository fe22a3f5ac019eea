/**
 * A small static linker and loader for one Image: places its allocated sections at addresses,
 * resolves symbols (external ones from a map), applies every relocation type the Image models
 * and returns the memory segments with their permissions and the address of every symbol —
 * what the emulator and the patcher load. Its arithmetic and overflow checks are ld's for the
 * same relocations; GOT relocations get a GOT of their own and are not relaxed (ld --no-relax).
 */
import type { Image, ImageSymbol, Relocation, RelocationType, Section } from "./image.js";
import { ABS_SECTION, COMMON_SECTION, RELOCATION_WIDTHS, declaredSymbols, isPcRelative, usesGot } from "./elf.js";

export interface LinkOptions {
  /** Fixed addresses of sections by name (ld's -Ttext, -Tdata, --section-start). */
  readonly sectionAddresses?: ReadonlyMap<string, bigint>;
  /**
   * Where layout starts: each allocated section without a fixed address goes at the end of the
   * one before it (in Image order), aligned. Default 0.
   */
  readonly base?: bigint;
  /** Addresses of the symbols the Image leaves undefined. An undefined weak symbol is otherwise 0. */
  readonly externals?: ReadonlyMap<string, bigint>;
  /** Address of the GOT built for GOT relocations; default: after everything else, 8-aligned. */
  readonly gotAddress?: bigint;
}

/** The name of the segment that holds common symbols, and of the one that holds the GOT. */
export const COMMON_SEGMENT = "COMMON";
export const GOT_SEGMENT = ".got";

export interface Segment {
  readonly name: string;
  readonly address: bigint;
  /** The contents with relocations applied; zeros for NOBITS sections. */
  readonly bytes: Uint8Array;
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
}

export interface LinkedImage {
  /** In layout order: the allocated sections in Image order, then COMMON, then the GOT. */
  readonly segments: readonly Segment[];
  /** Address of every symbol defined in an allocated section, absolute or common, and of every external. */
  readonly symbols: ReadonlyMap<string, bigint>;
}

export type LinkResult = { ok: true; linked: LinkedImage } | { ok: false; errors: string[] };

const MASK64 = (1n << 64n) - 1n;

export function link(image: Image, options: LinkOptions = {}): LinkResult {
  const allocated = image.sections.filter((s) => s.flags.alloc);
  const errors = [...(options.sectionAddresses?.keys() ?? [])].filter((name) => !allocated.some((s) => s.name === name)).map((name) => `no allocated section '${name}' to place`);
  const { sectionAddress, end } = placeSections(allocated, options, errors);
  const commons = placeCommons(image.symbols, end);

  const symbols = new Map<string, bigint>();
  for (const s of image.symbols) {
    if (s.type === "section" || s.type === "file" || symbols.has(s.name)) continue;
    const address = definedAddress(s, sectionAddress, commons.addresses);
    if (address !== undefined) symbols.set(s.name, address);
  }
  for (const [name, address] of options.externals ?? []) if (!symbols.has(name)) symbols.set(name, address);
  const declared = declaredSymbols(image.symbols);
  const resolve = (name: string): bigint | undefined => {
    const s = declared.get(name);
    if (s) return symbols.get(name) ?? (s.section === undefined && s.binding === "weak" ? 0n : undefined);
    return sectionAddress.get(name) ?? options.externals?.get(name);
  };

  const segments: Segment[] = allocated.map((s) => ({
    name: s.name,
    address: sectionAddress.get(s.name)!,
    bytes: s.kind === "nobits" ? new Uint8Array(s.data.length) : s.data.slice(),
    read: true,
    write: s.flags.write,
    exec: s.flags.exec,
  }));
  if (commons.segment) segments.push(commons.segment);
  const got = buildGot(allocated, resolve, options.gotAddress ?? alignUp(commons.end, 8n));
  if (got) {
    segments.push(got.segment);
    if (!symbols.has("_GLOBAL_OFFSET_TABLE_")) symbols.set("_GLOBAL_OFFSET_TABLE_", got.segment.address);
  }

  allocated.forEach((section, i) => {
    for (const r of section.relocations) {
      const error = applyRelocation(segments[i]!, r, resolve, got?.entries);
      if (error) errors.push(`${section.name}+0x${r.offset.toString(16)}: ${error}`);
    }
  });
  errors.push(...overlaps(segments));
  return errors.length ? { ok: false, errors } : { ok: true, linked: { segments, symbols } };
}

/** Each section at its fixed address, or at the end of the one before it, aligned. */
function placeSections(allocated: readonly Section[], options: LinkOptions, errors: string[]): { sectionAddress: Map<string, bigint>; end: bigint } {
  const sectionAddress = new Map<string, bigint>();
  let cursor = options.base ?? 0n;
  for (const s of allocated) {
    const address = options.sectionAddresses?.get(s.name) ?? alignUp(cursor, s.align);
    if (address % BigInt(s.align) !== 0n) errors.push(`section ${s.name} at 0x${address.toString(16)} is not aligned to ${s.align}`);
    sectionAddress.set(s.name, address);
    cursor = address + BigInt(s.data.length);
  }
  return { sectionAddress, end: cursor };
}

/**
 * Common symbols, each at its alignment (its value), in one segment from `start`, in ld's order:
 * ld allocates them walking its symbol hash table (bfd's hash.c: 4051 buckets, a bucket's
 * newest symbol first), not in symbol table order.
 */
function placeCommons(symbols: readonly ImageSymbol[], start: bigint): { addresses: Map<string, bigint>; segment?: Segment; end: bigint } {
  const commons = symbols
    .filter((s) => s.section === COMMON_SECTION)
    .map((s, i) => ({ s, i, bucket: bfdHash(s.name) % BFD_HASH_BUCKETS }))
    .sort((a, b) => a.bucket - b.bucket || b.i - a.i)
    .map(({ s }) => s);
  const addresses = new Map<string, bigint>();
  if (!commons.length) return { addresses, end: start };
  const first = alignUp(start, commons.reduce((a, s) => (s.value > a ? s.value : a), 1n));
  let cursor = first;
  for (const s of commons) {
    cursor = alignUp(cursor, s.value);
    addresses.set(s.name, cursor);
    cursor += s.size;
  }
  const segment = { name: COMMON_SEGMENT, address: first, bytes: new Uint8Array(Number(cursor - first)), read: true, write: true, exec: false };
  return { addresses, segment, end: cursor };
}

/** bfd's default hash table size, which a link of a few hundred symbols keeps. */
const BFD_HASH_BUCKETS = 4051;

/** bfd_hash_hash of a name (its UTF-8 bytes), as an unsigned 32-bit number. */
function bfdHash(name: string): number {
  const bytes = new TextEncoder().encode(name);
  let hash = 0;
  for (const c of bytes) {
    hash = (hash + c + (c << 17)) >>> 0;
    hash = (hash ^ (hash >>> 2)) >>> 0;
  }
  hash = (hash + bytes.length + (bytes.length << 17)) >>> 0;
  return (hash ^ (hash >>> 2)) >>> 0;
}

/** One 8-byte entry per symbol the GOT relocations name, in first-use order. */
function buildGot(allocated: readonly Section[], resolve: (name: string) => bigint | undefined, address: bigint): { segment: Segment; entries: (name: string) => bigint } | undefined {
  const names = [...new Set(allocated.flatMap((s) => s.relocations.filter((r) => usesGot(r.type)).map((r) => r.symbol)))];
  if (!names.length) return undefined;
  const bytes = new Uint8Array(names.length * 8);
  names.forEach((name, i) => new DataView(bytes.buffer).setBigUint64(i * 8, (resolve(name) ?? 0n) & MASK64, true));
  const segment = { name: GOT_SEGMENT, address, bytes, read: true, write: true, exec: false };
  return { segment, entries: (name) => address + BigInt(names.indexOf(name) * 8) };
}

function alignUp(value: bigint, alignment: bigint | number): bigint {
  const a = BigInt(alignment);
  return a > 1n ? ((value + a - 1n) / a) * a : value;
}

function definedAddress(s: ImageSymbol, sectionAddress: ReadonlyMap<string, bigint>, commonAddress: ReadonlyMap<string, bigint>): bigint | undefined {
  if (s.section === ABS_SECTION) return s.value;
  if (s.section === COMMON_SECTION) return commonAddress.get(s.name);
  const base = s.section === undefined ? undefined : sectionAddress.get(s.section);
  return base === undefined ? undefined : base + s.value;
}

/**
 * Fields as ld checks them: unsigned, signed, or bitfield (either, one bit wider: -2^n .. 2^n-1).
 * The relocations left out need a TLS block, a GOT base or symbol sizes, which this link does
 * not model: an object using them is refused.
 */
const OVERFLOW: Partial<Record<RelocationType, "none" | "signed" | "unsigned" | "bitfield">> = {
  R_X86_64_64: "none",
  R_X86_64_PC64: "none",
  R_X86_64_PC32: "signed",
  R_X86_64_PLT32: "signed",
  R_X86_64_32: "unsigned",
  R_X86_64_32S: "signed",
  R_X86_64_GOTPCREL: "signed",
  R_X86_64_GOTPCRELX: "signed",
  R_X86_64_REX_GOTPCRELX: "signed",
  R_X86_64_16: "bitfield",
  R_X86_64_PC16: "signed",
  R_X86_64_8: "bitfield",
  R_X86_64_PC8: "signed",
};

/** Whether link() can apply relocations of this type; it refuses an object with any other. */
export function linkSupports(type: RelocationType): boolean {
  return OVERFLOW[type] !== undefined;
}

function fits(value: bigint, bits: number, check: NonNullable<(typeof OVERFLOW)[RelocationType]>): boolean {
  const n = BigInt(bits);
  switch (check) {
    case "none":
      return true;
    case "signed":
      return value >= -(1n << (n - 1n)) && value < 1n << (n - 1n);
    case "unsigned":
      return value >= 0n && value < 1n << n;
    case "bitfield":
      return value >= -(1n << n) && value < 1n << n;
  }
}

/** Writes S+A, S+A-P or GOT(S)+A-P into the field; returns an error message instead if it cannot. */
function applyRelocation(segment: Segment, r: Relocation, resolve: (name: string) => bigint | undefined, gotEntry: ((name: string) => bigint) | undefined): string | undefined {
  const check = OVERFLOW[r.type];
  if (check === undefined) return `${r.type} against '${r.symbol}' is not supported by this link`;
  const width = RELOCATION_WIDTHS[r.type];
  if (r.offset < 0 || r.offset + width > segment.bytes.length) return `${r.type} field lies outside the section`;
  const place = segment.address + BigInt(r.offset);
  const target = resolve(r.symbol);
  if (target === undefined) return `symbol '${r.symbol}' has no address (undefined, or in a section that is not allocated)`;
  const base = usesGot(r.type) ? gotEntry!(r.symbol) : target;
  let value = base + r.addend - (isPcRelative(r.type) ? place : 0n);
  if (width === 8) value = BigInt.asIntN(64, value);
  if (!fits(value, width * 8, check)) return `${r.type} against '${r.symbol}': value 0x${value.toString(16)} does not fit in ${width * 8} bits`;
  const view = new DataView(segment.bytes.buffer, segment.bytes.byteOffset);
  const field = BigInt.asUintN(width * 8, value);
  if (width === 8) view.setBigUint64(r.offset, field, true);
  else if (width === 4) view.setUint32(r.offset, Number(field), true);
  else if (width === 2) view.setUint16(r.offset, Number(field), true);
  else view.setUint8(r.offset, Number(field));
  return undefined;
}

function overlaps(segments: readonly Segment[]): string[] {
  const sorted = segments.filter((s) => s.bytes.length > 0).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const errors: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    if (previous.address + BigInt(previous.bytes.length) > sorted[i]!.address) errors.push(`sections ${previous.name} and ${sorted[i]!.name} overlap`);
  }
  return errors;
}
