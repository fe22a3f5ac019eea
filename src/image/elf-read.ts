/**
 * Reads an ELF64 x86-64 relocatable object (as GNU as and gcc -c write them) into an Image.
 * Every byte string yields an Image or an error value: each offset, size and index is checked
 * before use, and what the Image cannot represent (groups, TLS, REL relocations, ...) is an
 * error rather than a silent loss.
 */
import type { Image, ImageSymbol, Relocation, Section } from "./image.js";
import * as elf from "./elf.js";

export type ReadElfResult = { ok: true; image: Image } | { ok: false; error: string };

/** Largest NOBITS section the reader materializes (the Image holds its zero bytes). */
const MAX_NOBITS_SIZE = 1 << 26;

/** An error value: returned, never thrown. */
class Malformed {
  constructor(readonly message: string) {}
}

type Parsed<T> = T | Malformed;

interface RawHeader {
  readonly index: number;
  readonly name: number;
  readonly type: number;
  readonly flags: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly align: bigint;
  readonly entsize: bigint;
}

const CONTENT_FLAGS = BigInt(elf.SHF_WRITE | elf.SHF_ALLOC | elf.SHF_EXECINSTR | elf.SHF_MERGE | elf.SHF_STRINGS | elf.SHF_TLS);
const utf8 = new TextDecoder();

export function readElf(bytes: Uint8Array): ReadElfResult {
  const image = parse(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes);
  return image instanceof Malformed ? { ok: false, error: image.message } : { ok: true, image };
}

function parse(view: DataView, bytes: Uint8Array): Parsed<Image> {
  const headers = sectionHeaders(view);
  if (headers instanceof Malformed) return headers;
  const shstrndx = view.getUint16(62, true);
  const shstrtab = headers[shstrndx];
  if (shstrndx === elf.SHN_UNDEF || !shstrtab || shstrtab.type !== elf.SHT_STRTAB) return new Malformed(`e_shstrndx ${shstrndx} is not a string table`);

  const sectionByIndex = new Map<number, Section>();
  const names = new Set<string>();
  let symtab: RawHeader | undefined;
  const relas: RawHeader[] = [];
  for (const h of headers.slice(1)) {
    const name = stringAt(bytes, shstrtab, h.name);
    if (name instanceof Malformed) return name;
    if (h.type === elf.SHT_SYMTAB) {
      if (symtab) return new Malformed("more than one symbol table");
      symtab = h;
    } else if (h.type === elf.SHT_RELA) {
      if ((h.flags & ~BigInt(elf.SHF_INFO_LINK)) !== 0n) return new Malformed(`relocation section ${name} has unsupported flags 0x${h.flags.toString(16)}`);
      relas.push(h);
    } else if (h.type !== elf.SHT_STRTAB && h.type !== elf.SHT_NULL) {
      if (names.has(name)) return new Malformed(`two sections are named '${name}'`);
      const section = contentSection(h, name, bytes);
      if (section instanceof Malformed) return section;
      names.add(name);
      sectionByIndex.set(h.index, section);
    }
  }

  const symbols = symtab ? symbolTable(symtab, headers, sectionByIndex, bytes, view) : [];
  if (symbols instanceof Malformed) return symbols;
  const relocated = new Map<number, Relocation[]>();
  for (const rela of relas) {
    const target = sectionByIndex.get(rela.info);
    if (!target || target.kind === "nobits") return new Malformed(`relocation section ${rela.index} applies to section ${rela.info}, which holds no bytes`);
    if (relocated.has(rela.info)) return new Malformed(`section ${target.name} has two relocation sections`);
    if (!symtab || rela.link !== symtab.index) return new Malformed(`relocation section ${rela.index} does not use the symbol table`);
    const relocations = relocationTable(rela, target, symbols, view);
    if (relocations instanceof Malformed) return relocations;
    relocated.set(rela.info, relocations);
  }

  const sections = [...sectionByIndex].map(([index, s]) => ({ ...s, relocations: relocated.get(index) ?? [] }));
  return { sections, symbols: symbols.map((s) => s.symbol) };
}

function sectionHeaders(view: DataView): Parsed<RawHeader[]> {
  if (view.byteLength < elf.ELF_HEADER_SIZE) return new Malformed(`${view.byteLength} bytes is too short for an ELF header`);
  if (!elf.ELF_IDENT.every((b, i) => view.getUint8(i) === b)) return new Malformed("not an ELF64 little-endian object (bad e_ident)");
  if (view.getUint16(16, true) !== elf.ET_REL) return new Malformed(`e_type ${view.getUint16(16, true)} is not ET_REL (relocatable)`);
  if (view.getUint16(18, true) !== elf.EM_X86_64) return new Malformed(`e_machine ${view.getUint16(18, true)} is not x86-64`);
  const shoff = view.getBigUint64(40, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  if (shnum === 0) return new Malformed("no section headers (or extended section numbering, which is not supported)");
  if (shentsize !== elf.SECTION_HEADER_SIZE) return new Malformed(`e_shentsize ${shentsize} is not ${elf.SECTION_HEADER_SIZE}`);
  if (shoff + BigInt(shnum * elf.SECTION_HEADER_SIZE) > BigInt(view.byteLength)) return new Malformed("section header table extends past the end of the file");

  const headers: RawHeader[] = [];
  for (let index = 0; index < shnum; index++) {
    const at = Number(shoff) + index * elf.SECTION_HEADER_SIZE;
    const h: RawHeader = {
      index,
      name: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      flags: view.getBigUint64(at + 8, true),
      offset: view.getBigUint64(at + 24, true),
      size: view.getBigUint64(at + 32, true),
      link: view.getUint32(at + 40, true),
      info: view.getUint32(at + 44, true),
      align: view.getBigUint64(at + 48, true),
      entsize: view.getBigUint64(at + 56, true),
    };
    if (h.type !== elf.SHT_NOBITS && h.type !== elf.SHT_NULL && h.offset + h.size > BigInt(view.byteLength)) {
      return new Malformed(`section ${index} extends past the end of the file`);
    }
    headers.push(h);
  }
  return headers;
}

/** The NUL-terminated string at `offset` in string table `table`. */
function stringAt(bytes: Uint8Array, table: RawHeader, offset: number): Parsed<string> {
  if (BigInt(offset) >= table.size) return new Malformed(`string offset ${offset} is outside string table ${table.index}`);
  const start = Number(table.offset) + offset;
  const end = bytes.indexOf(0, start);
  if (end < 0 || end >= Number(table.offset + table.size)) return new Malformed(`string at offset ${offset} in string table ${table.index} is not terminated`);
  return utf8.decode(bytes.subarray(start, end));
}

function contentSection(h: RawHeader, name: string, bytes: Uint8Array): Parsed<Section> {
  const kind = h.type === elf.SHT_NOBITS ? "nobits" : h.type === elf.SHT_NOTE ? "note" : "progbits";
  if (h.type !== elf.SHT_PROGBITS && h.type !== elf.SHT_NOBITS && h.type !== elf.SHT_NOTE && elf.ARRAY_SECTION_TYPES.get(name) !== h.type) {
    return new Malformed(`section ${name} has unsupported type ${h.type}`);
  }
  if (name === "" || name === elf.ABS_SECTION || name === elf.COMMON_SECTION) return new Malformed(`section ${h.index} has the reserved name '${name}'`);
  if ((h.flags & ~CONTENT_FLAGS) !== 0n) return new Malformed(`section ${name} has unsupported flags 0x${h.flags.toString(16)}`);
  if (h.align > 1n << 32n || (h.align & (h.align - 1n)) !== 0n) return new Malformed(`section ${name} has alignment ${h.align}, not a power of two`);
  if (h.entsize > 1n << 32n) return new Malformed(`section ${name} has entry size ${h.entsize}`);
  if (kind === "nobits" && h.size > BigInt(MAX_NOBITS_SIZE)) return new Malformed(`section ${name} is ${h.size} bytes, larger than the ${MAX_NOBITS_SIZE} supported`);
  const flag = (bit: number): boolean => (h.flags & BigInt(bit)) !== 0n;
  const data = kind === "nobits" ? new Uint8Array(Number(h.size)) : bytes.slice(Number(h.offset), Number(h.offset + h.size));
  return {
    name,
    kind,
    flags: { alloc: flag(elf.SHF_ALLOC), write: flag(elf.SHF_WRITE), exec: flag(elf.SHF_EXECINSTR), ...(flag(elf.SHF_MERGE) && { merge: true }), ...(flag(elf.SHF_STRINGS) && { strings: true }), ...(flag(elf.SHF_TLS) && { tls: true }) },
    align: h.align === 0n ? 1 : Number(h.align),
    ...(h.entsize !== 0n && { entsize: Number(h.entsize) }),
    data,
    relocations: [],
  };
}

/** A symbol as read, with whether another symbol shares its name (then no relocation may name it). */
interface ReadSymbol {
  readonly symbol: ImageSymbol;
  readonly ambiguous: boolean;
}

/** The symbols after the null entry; element i is ELF symbol i + 1. */
function symbolTable(symtab: RawHeader, headers: readonly RawHeader[], sections: ReadonlyMap<number, Section>, bytes: Uint8Array, view: DataView): Parsed<ReadSymbol[]> {
  if (symtab.entsize !== BigInt(elf.SYMBOL_SIZE) || symtab.size % BigInt(elf.SYMBOL_SIZE) !== 0n) return new Malformed("symbol table entry size is not 24");
  const strtab = headers[symtab.link];
  if (!strtab || strtab.type !== elf.SHT_STRTAB) return new Malformed(`symbol table links to section ${symtab.link}, not a string table`);
  const symbols: ImageSymbol[] = [];
  for (let at = Number(symtab.offset) + elf.SYMBOL_SIZE; at < Number(symtab.offset + symtab.size); at += elf.SYMBOL_SIZE) {
    const info = view.getUint8(at + 4);
    const other = view.getUint8(at + 5);
    const shndx = view.getUint16(at + 6, true);
    const binding = elf.SYMBOL_BINDINGS[info >> 4];
    const type = elf.SYMBOL_TYPES[info & 0xf];
    const visibility = elf.SYMBOL_VISIBILITIES[other & 3]!;
    const where = `symbol ${symbols.length + 1}`;
    if (!binding) return new Malformed(`${where} has unsupported binding ${info >> 4}`);
    if (!type) return new Malformed(`${where} has unsupported type ${info & 0xf}`);
    if (other > 3) return new Malformed(`${where} has unsupported st_other 0x${other.toString(16)}`);
    const section = symbolSection(shndx, sections);
    if (section instanceof Malformed) return new Malformed(`${where}: ${section.message}`);
    const name = type === "section" ? section : stringAt(bytes, strtab, view.getUint32(at, true));
    if (name instanceof Malformed) return name;
    if (name === undefined || (type === "section" && (section === elf.ABS_SECTION || section === elf.COMMON_SECTION))) return new Malformed(`${where} is a section symbol without a section`);
    symbols.push({
      name,
      section,
      value: view.getBigUint64(at + 8, true),
      size: view.getBigUint64(at + 16, true),
      binding,
      type,
      ...(visibility !== "default" && { visibility }),
    });
  }
  const counts = new Map<string, number>();
  for (const s of symbols) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  return symbols.map((symbol) => ({ symbol, ambiguous: counts.get(symbol.name)! > 1 }));
}

function symbolSection(shndx: number, sections: ReadonlyMap<number, Section>): Parsed<string | undefined> {
  if (shndx === elf.SHN_UNDEF) return undefined;
  if (shndx === elf.SHN_ABS) return elf.ABS_SECTION;
  if (shndx === elf.SHN_COMMON) return elf.COMMON_SECTION;
  const section = sections.get(shndx);
  return section ? section.name : new Malformed(`section index ${shndx} names no section with contents`);
}

function relocationTable(rela: RawHeader, target: Section, symbols: readonly ReadSymbol[], view: DataView): Parsed<Relocation[]> {
  if (rela.entsize !== BigInt(elf.RELA_SIZE) || rela.size % BigInt(elf.RELA_SIZE) !== 0n) return new Malformed(`relocations for ${target.name}: entry size is not 24`);
  const relocations: Relocation[] = [];
  for (let at = Number(rela.offset); at < Number(rela.offset + rela.size); at += elf.RELA_SIZE) {
    const where = `relocation ${relocations.length} of ${target.name}`;
    const offset = view.getBigUint64(at, true);
    const symbolIndex = view.getUint32(at + 12, true);
    const type = elf.RELOCATION_TYPES_BY_NUMBER.get(view.getUint32(at + 8, true));
    if (!type) return new Malformed(`${where} has unsupported type ${view.getUint32(at + 8, true)}`);
    if (offset + BigInt(elf.RELOCATION_WIDTHS[type]) > BigInt(target.data.length)) return new Malformed(`${where} at offset 0x${offset.toString(16)} is outside the section`);
    const symbol = symbols[symbolIndex - 1];
    if (!symbol) return new Malformed(`${where} names symbol ${symbolIndex}, which does not exist`);
    if (symbol.ambiguous) return new Malformed(`${where} names '${symbol.symbol.name}', which more than one symbol is called`);
    // A file symbol names a source file, never something to relocate against (the writer names targets by name).
    if (symbol.symbol.type === "file") return new Malformed(`${where} names the file symbol '${symbol.symbol.name}'`);
    relocations.push({ offset: Number(offset), type, symbol: symbol.symbol.name, addend: view.getBigInt64(at + 16, true) });
  }
  return relocations;
}
