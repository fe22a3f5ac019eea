/**
 * Writes an Image as an ELF64 x86-64 relocatable object laid out the way GNU as 2.40 lays out
 * its own: the same section order, symbol order, string tables and file offsets, so that for
 * the same content the two objects are byte-identical. docs/elf.md lists what the writer
 * derives (the standard sections, section symbols, as's relocation adjustment) and what the
 * Image must carry.
 */
import type { Image, ImageSymbol, Relocation, Section } from "./image.js";
import { RELOCATION_NUMBERS, defaultSectionAttributes } from "./image.js";
import {
  ABS_SECTION,
  ARRAY_SECTION_TYPES,
  COMMON_SECTION,
  ELF_HEADER_SIZE,
  ELF_IDENT,
  EM_X86_64,
  ET_REL,
  EV_CURRENT,
  RELA_SIZE,
  SECTION_HEADER_SIZE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_INFO_LINK,
  SHF_MERGE,
  SHF_STRINGS,
  SHF_TLS,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_PROGBITS,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SYMBOL_BINDINGS,
  SYMBOL_SIZE,
  SYMBOL_TYPES,
  SYMBOL_VISIBILITIES,
  declaredSymbols,
  isPcRelative,
  keepsSymbol,
} from "./elf.js";

/** as creates these three at start-up, so they lead every object it writes, used or not. */
const STANDARD_SECTIONS = [".text", ".data", ".bss"];
const GNU_STACK = ".note.GNU-stack";

export function writeElf(image: Image): Uint8Array {
  const sections = adjustRelocations(orderSections(image), image.symbols);
  const symbols = symbolTable(image.symbols, sections);
  const layout = layOut(sections, symbols);
  return serialize(layout);
}

/**
 * The standard sections first (their Image versions if present, else empty defaults), then the
 * Image's other sections in order, then .note.GNU-stack — unless the Image places it itself —
 * marking the stack non-executable as `as --noexecstack` does.
 */
function orderSections(image: Image): Section[] {
  const byName = new Map(image.sections.map((s) => [s.name, s]));
  const standard = STANDARD_SECTIONS.map((name) => byName.get(name) ?? emptySection(name));
  const rest = image.sections.filter((s) => !STANDARD_SECTIONS.includes(s.name));
  if (!byName.has(GNU_STACK)) rest.push(emptySection(GNU_STACK));
  return [...standard, ...rest];
}

function emptySection(name: string): Section {
  return { name, ...defaultSectionAttributes(name), align: 1, data: new Uint8Array(0), relocations: [] };
}

/**
 * as (write.c adjust_reloc_syms with tc_i386_fix_adjustable) rewrites a relocation against a
 * local symbol defined in a section into one against that section's symbol, folding the
 * symbol's value into the addend — except GOT, TLS and size relocations, relocations against
 * a thread-local symbol, and relocations into a mergeable
 * section that are PC-relative or carry an addend (the linker must find the merged entry).
 * A PLT32 so rewritten becomes PC32: a local target needs no PLT.
 */
function adjustRelocations(sections: Section[], symbols: readonly ImageSymbol[]): Section[] {
  const declared = declaredSymbols(symbols);
  const sectionByName = new Map(sections.map((s) => [s.name, s]));
  const adjust = (r: Relocation): Relocation => {
    const target = declared.get(r.symbol);
    if (!target || target.binding !== "local" || keepsSymbol(r.type)) return r;
    const home = target.section === undefined ? undefined : sectionByName.get(target.section);
    if (!home || home.flags.tls) return r;
    if (home.flags.merge && (isPcRelative(r.type) || r.addend !== 0n)) return r;
    const type = r.type === "R_X86_64_PLT32" ? "R_X86_64_PC32" : r.type;
    return { offset: r.offset, type, symbol: home.name, addend: r.addend + target.value };
  };
  return sections.map((s) => (s.relocations.length ? { ...s, relocations: s.relocations.map(adjust) } : s));
}

/** One symbol table entry; `section` is a section's name or undefined / *ABS* / *COM*. */
interface OutSymbol {
  readonly name: string;
  readonly section: string | undefined;
  readonly value: bigint;
  readonly size: bigint;
  readonly binding: ImageSymbol["binding"];
  readonly type: ImageSymbol["type"];
  readonly visibility: NonNullable<ImageSymbol["visibility"]>;
}

function outSymbol(s: ImageSymbol, sectionNames: ReadonlySet<string>): OutSymbol {
  const known = s.section === ABS_SECTION || s.section === COMMON_SECTION || (s.section !== undefined && sectionNames.has(s.section));
  const section = known ? s.section : undefined;
  const binding = (section === undefined || section === COMMON_SECTION) && s.binding === "local" ? "global" : s.binding;
  return { ...s, section, binding, visibility: s.visibility ?? "default" };
}

function sectionSymbol(name: string): OutSymbol {
  return { name, section: name, value: 0n, size: 0n, binding: "local", type: "section", visibility: "default" };
}

/** `.L` names are assembler-local labels, which as leaves out unless a relocation still needs them. */
function isLocalLabel(symbol: ImageSymbol): boolean {
  return symbol.binding === "local" && symbol.name.startsWith(".L");
}

/**
 * The symbols as writes, in its order: its symbol list (which the Image's order stands for)
 * with the locals first, both parts keeping their order. Section symbols and `.L` labels are
 * written only if a relocation uses them. A section symbol the Image does not carry goes where
 * as creates it: .text/.data/.bss at start-up, others just before the first symbol defined in
 * the section. Undefined symbols are global, and a relocation target the Image does not declare
 * becomes one, last.
 */
function symbolTable(imageSymbols: readonly ImageSymbol[], sections: readonly Section[]): OutSymbol[] {
  const sectionNames = new Set(sections.map((s) => s.name));
  const declared = declaredSymbols(imageSymbols);
  const referenced = new Set<string>();
  const usedSections = new Set<string>();
  const undeclared = new Set<string>();
  for (const { symbol } of sections.flatMap((s) => s.relocations)) {
    if (declared.has(symbol)) referenced.add(symbol);
    else if (sectionNames.has(symbol)) usedSections.add(symbol);
    else undeclared.add(symbol);
  }

  const list: OutSymbol[] = [];
  for (const s of imageSymbols) {
    if (s.type === "section") {
      if (usedSections.delete(s.name)) list.push(sectionSymbol(s.name));
    } else if (!isLocalLabel(s) || referenced.has(s.name)) {
      list.push(outSymbol(s, sectionNames));
    }
  }
  const afterFileSymbols = list.findIndex((s) => s.type !== "file");
  const standard = STANDARD_SECTIONS.filter((name) => usedSections.delete(name)).map(sectionSymbol);
  list.splice(afterFileSymbols < 0 ? list.length : afterFileSymbols, 0, ...standard);
  for (const name of usedSections) {
    const first = list.findIndex((s) => s.section === name);
    list.splice(first < 0 ? list.length : first, 0, sectionSymbol(name));
  }
  for (const name of undeclared) {
    list.push({ name, section: undefined, value: 0n, size: 0n, binding: "global", type: "notype", visibility: "default" });
  }
  return [...list.filter((s) => s.binding === "local"), ...list.filter((s) => s.binding !== "local")];
}

const utf8 = new TextEncoder();

/**
 * A string table built as bfd's elf-strtab.c builds it: a string that is the tail of another
 * shares its bytes, the others are laid out in the order they were added.
 */
class StringTable {
  private readonly added = new Map<string, Uint8Array>();
  private readonly offsets = new Map<string, number>();
  private readonly contents: Uint8Array;

  constructor(names: Iterable<string>) {
    for (const name of names) if (name !== "" && !this.added.has(name)) this.added.set(name, utf8.encode(name));
    const tails = this.mergeTails();
    let size = 1;
    for (const [name, bytes] of this.added) {
      if (tails.has(name)) continue;
      this.offsets.set(name, size);
      size += bytes.length + 1;
    }
    this.contents = new Uint8Array(size);
    for (const [name, offset] of this.offsets) this.contents.set(this.added.get(name)!, offset);
    for (const [name, { host, skip }] of tails) this.offsets.set(name, this.offsets.get(host)! + skip);
  }

  /** _bfd_elf_strtab_finalize's pass: sorted by reversed bytes, each string merges into the nearest later one it ends. */
  private mergeTails(): Map<string, { host: string; skip: number }> {
    const sorted = [...this.added].sort(([, a], [, b]) => compareReversed(a, b));
    const tails = new Map<string, { host: string; skip: number }>();
    let host = sorted[sorted.length - 1];
    for (let i = sorted.length - 2; host && i >= 0; i--) {
      const [name, bytes] = sorted[i]!;
      if (host[1].length > bytes.length && endsWith(host[1], bytes)) tails.set(name, { host: host[0], skip: host[1].length - bytes.length });
      else host = sorted[i];
    }
    return tails;
  }

  offset(name: string): number {
    return name === "" ? 0 : this.offsets.get(name)!;
  }

  bytes(): Uint8Array {
    return this.contents;
  }
}

/** bfd's strrevcmp: compares strings from their last byte backwards; a tail sorts first. */
function compareReversed(a: Uint8Array, b: Uint8Array): number {
  for (let i = a.length - 1, j = b.length - 1; i >= 0 && j >= 0; i--, j--) {
    if (a[i] !== b[j]) return a[i]! - b[j]!;
  }
  return a.length - b.length;
}

function endsWith(whole: Uint8Array, tail: Uint8Array): boolean {
  const skip = whole.length - tail.length;
  return tail.every((byte, i) => whole[skip + i] === byte);
}

interface SectionHeader {
  readonly name: number;
  readonly type: number;
  readonly flags: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly align: number;
  readonly entsize: number;
  /** Bytes at the header's file offset; none for NOBITS. */
  readonly contents: Uint8Array;
}

interface PlacedHeader extends SectionHeader {
  readonly offset: number;
}

interface Layout {
  /** In section header table order, the null header first. */
  readonly headers: readonly PlacedHeader[];
  readonly shstrndx: number;
  readonly shoff: number;
  readonly size: number;
}

function align(offset: number, alignment: number): number {
  return alignment > 1 ? Math.ceil(offset / alignment) * alignment : offset;
}

/**
 * Section headers in as's order (each section followed by its .rela section; then .symtab,
 * .strtab, .shstrtab, the first two only if there are symbols) and file offsets in bfd's order:
 * contents, the symbol and string tables, the relocations, the section names, then the header
 * table on an 8-byte boundary. Each offset is aligned to its section's alignment.
 */
function layOut(sections: readonly Section[], symbols: readonly OutSymbol[]): Layout {
  const hasSymtab = symbols.length > 0;
  const shstrtab = new StringTable([
    ...(hasSymtab ? [".symtab", ".strtab"] : []),
    ".shstrtab",
    ...sections.flatMap((s) => (s.relocations.length ? [s.name, ".rela" + s.name] : [s.name])),
  ]);
  const sectionIndex = new Map<string, number>();
  let next = 1;
  for (const s of sections) {
    sectionIndex.set(s.name, next);
    next += s.relocations.length ? 2 : 1;
  }
  const symtabIndex = next;

  const strtab = new StringTable(symbols.filter((s) => s.type !== "section").map((s) => s.name));
  const symbolIndex = new Map<string, number>();
  symbols.forEach((s, i) => {
    if (s.type !== "file" && !symbolIndex.has(s.name)) symbolIndex.set(s.name, i + 1);
  });

  const contentHeaders: SectionHeader[] = [];
  const relaHeaders: SectionHeader[] = [];
  const tableOrder: SectionHeader[] = [];
  for (const s of sections) {
    const header: SectionHeader = {
      name: shstrtab.offset(s.name),
      type: sectionType(s),
      flags: sectionFlags(s),
      size: s.data.length,
      link: 0,
      info: 0,
      align: s.align,
      entsize: sectionEntrySize(s),
      contents: s.kind === "nobits" ? new Uint8Array(0) : s.data,
    };
    contentHeaders.push(header);
    tableOrder.push(header);
    if (s.relocations.length) {
      const contents = relocationEntries(s.relocations, symbolIndex);
      const rela = { name: shstrtab.offset(".rela" + s.name), type: SHT_RELA, flags: SHF_INFO_LINK, size: contents.length, link: symtabIndex, info: sectionIndex.get(s.name)!, align: 8, entsize: RELA_SIZE, contents };
      relaHeaders.push(rela);
      tableOrder.push(rela);
    }
  }
  const symbolHeaders: SectionHeader[] = [];
  if (hasSymtab) {
    const contents = symbolEntries(symbols, strtab, sectionIndex);
    const firstGlobal = 1 + symbols.filter((s) => s.binding === "local").length;
    symbolHeaders.push(
      { name: shstrtab.offset(".symtab"), type: SHT_SYMTAB, flags: 0, size: contents.length, link: symtabIndex + 1, info: firstGlobal, align: 8, entsize: SYMBOL_SIZE, contents },
      stringTableHeader(shstrtab.offset(".strtab"), strtab.bytes()),
    );
  }
  const shstrtabHeader = stringTableHeader(shstrtab.offset(".shstrtab"), shstrtab.bytes());
  tableOrder.push(...symbolHeaders, shstrtabHeader);

  const offsets = new Map<SectionHeader, number>();
  let offset = ELF_HEADER_SIZE;
  for (const h of [...contentHeaders, ...symbolHeaders, ...relaHeaders, shstrtabHeader]) {
    offsets.set(h, align(offset, h.align));
    offset = offsets.get(h)! + (h.type === SHT_NOBITS ? 0 : h.size);
  }
  const shoff = align(offset, 8);
  const headers = [NULL_HEADER, ...tableOrder].map((h) => ({ ...h, offset: offsets.get(h) ?? 0 }));
  return { headers, shstrndx: headers.length - 1, shoff, size: shoff + headers.length * SECTION_HEADER_SIZE };
}

const NULL_HEADER: SectionHeader = { name: 0, type: 0, flags: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0, contents: new Uint8Array(0) };

function stringTableHeader(name: number, contents: Uint8Array): SectionHeader {
  return { ...NULL_HEADER, name, type: SHT_STRTAB, size: contents.length, align: 1, contents };
}

function sectionType(s: Section): number {
  if (s.kind === "nobits") return SHT_NOBITS;
  if (s.kind === "note") return SHT_NOTE;
  return ARRAY_SECTION_TYPES.get(s.name) ?? SHT_PROGBITS;
}

/** bfd gives the array sections (.init_array and the like) entries of a pointer's size. */
function sectionEntrySize(s: Section): number {
  return ARRAY_SECTION_TYPES.has(s.name) ? 8 : (s.entsize ?? 0);
}

function sectionFlags(s: Section): number {
  const f = s.flags;
  return (f.write ? SHF_WRITE : 0) | (f.alloc ? SHF_ALLOC : 0) | (f.exec ? SHF_EXECINSTR : 0) | (f.merge ? SHF_MERGE : 0) | (f.strings ? SHF_STRINGS : 0) | (f.tls ? SHF_TLS : 0);
}

function symbolEntries(symbols: readonly OutSymbol[], strtab: StringTable, sectionIndex: ReadonlyMap<string, number>): Uint8Array {
  const bytes = new Uint8Array((symbols.length + 1) * SYMBOL_SIZE);
  const view = new DataView(bytes.buffer);
  symbols.forEach((s, i) => {
    const at = (i + 1) * SYMBOL_SIZE;
    view.setUint32(at, s.type === "section" ? 0 : strtab.offset(s.name), true);
    view.setUint8(at + 4, (SYMBOL_BINDINGS.indexOf(s.binding) << 4) | SYMBOL_TYPES.indexOf(s.type));
    view.setUint8(at + 5, SYMBOL_VISIBILITIES.indexOf(s.visibility));
    view.setUint16(at + 6, sectionNumber(s.section, sectionIndex), true);
    view.setBigUint64(at + 8, BigInt.asUintN(64, s.value), true);
    view.setBigUint64(at + 16, BigInt.asUintN(64, s.size), true);
  });
  return bytes;
}

function sectionNumber(section: string | undefined, sectionIndex: ReadonlyMap<string, number>): number {
  if (section === undefined) return SHN_UNDEF;
  if (section === ABS_SECTION) return SHN_ABS;
  if (section === COMMON_SECTION) return SHN_COMMON;
  return sectionIndex.get(section)!;
}

function relocationEntries(relocations: readonly Relocation[], symbolIndex: ReadonlyMap<string, number>): Uint8Array {
  const bytes = new Uint8Array(relocations.length * RELA_SIZE);
  const view = new DataView(bytes.buffer);
  relocations.forEach((r, i) => {
    const at = i * RELA_SIZE;
    view.setBigUint64(at, BigInt(r.offset), true);
    view.setBigUint64(at + 8, (BigInt(symbolIndex.get(r.symbol)!) << 32n) | BigInt(RELOCATION_NUMBERS[r.type]), true);
    view.setBigInt64(at + 16, BigInt.asIntN(64, r.addend), true);
  });
  return bytes;
}

function serialize(layout: Layout): Uint8Array {
  const out = new Uint8Array(layout.size);
  const view = new DataView(out.buffer);
  out.set(ELF_IDENT);
  view.setUint16(16, ET_REL, true);
  view.setUint16(18, EM_X86_64, true);
  view.setUint32(20, EV_CURRENT, true);
  view.setBigUint64(40, BigInt(layout.shoff), true);
  view.setUint16(52, ELF_HEADER_SIZE, true);
  view.setUint16(58, SECTION_HEADER_SIZE, true);
  view.setUint16(60, layout.headers.length, true);
  view.setUint16(62, layout.shstrndx, true);
  layout.headers.forEach((h, i) => {
    out.set(h.contents, h.offset);
    const at = layout.shoff + i * SECTION_HEADER_SIZE;
    view.setUint32(at, h.name, true);
    view.setUint32(at + 4, h.type, true);
    view.setBigUint64(at + 8, BigInt(h.flags), true);
    view.setBigUint64(at + 24, BigInt(h.offset), true);
    view.setBigUint64(at + 32, BigInt(h.size), true);
    view.setUint32(at + 40, h.link, true);
    view.setUint32(at + 44, h.info, true);
    view.setBigUint64(at + 48, BigInt(h.align), true);
    view.setBigUint64(at + 56, BigInt(h.entsize), true);
  });
  return out;
}
