/**
 * ELF64 numbers shared by the writer and the reader (System V gABI and the x86-64 psABI), and
 * the facts about GNU as 2.40 that both need: which relocations are PC-relative and what as
 * does with a relocation against a local symbol.
 */
import { RELOCATION_NUMBERS, type ImageSymbol, type RelocationType, type SymbolBinding, type SymbolType, type SymbolVisibility } from "./image.js";

export const ELF_HEADER_SIZE = 64;
export const SECTION_HEADER_SIZE = 64;
export const SYMBOL_SIZE = 24;
export const RELA_SIZE = 24;

export const EV_CURRENT = 1;
/** e_ident up to EI_OSABI: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT; the rest is zero. */
export const ELF_IDENT: readonly number[] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, EV_CURRENT];
export const ET_REL = 1;
export const EM_X86_64 = 62;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_TLS = 0x400;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;

/** Pseudo section names an ImageSymbol uses for SHN_ABS and SHN_COMMON. */
export const ABS_SECTION = "*ABS*";
export const COMMON_SECTION = "*COM*";

export const SYMBOL_BINDINGS: readonly SymbolBinding[] = ["local", "global", "weak"];
/** By STT_ number; 5 (STT_COMMON) is not used. */
export const SYMBOL_TYPES: readonly (SymbolType | undefined)[] = ["notype", "object", "func", "section", "file", undefined, "tls"];
export const SYMBOL_VISIBILITIES: readonly SymbolVisibility[] = ["default", "internal", "hidden", "protected"];

/**
 * Section types as gives by name alone (bfd's special sections); the Image records them as
 * "progbits" and the name carries the type.
 */
export const ARRAY_SECTION_TYPES: ReadonlyMap<string, number> = new Map([
  [".init_array", SHT_INIT_ARRAY],
  [".fini_array", SHT_FINI_ARRAY],
  [".preinit_array", SHT_PREINIT_ARRAY],
]);

export const RELOCATION_TYPES_BY_NUMBER: ReadonlyMap<number, RelocationType> = new Map(
  (Object.entries(RELOCATION_NUMBERS) as [RelocationType, number][]).map(([name, number]) => [number, name]),
);

/** Width in bytes of the field each relocation type writes. */
export const RELOCATION_WIDTHS: Record<RelocationType, number> = {
  R_X86_64_64: 8,
  R_X86_64_PC64: 8,
  R_X86_64_PC32: 4,
  R_X86_64_PLT32: 4,
  R_X86_64_32: 4,
  R_X86_64_32S: 4,
  R_X86_64_GOTPCREL: 4,
  R_X86_64_GOTPCRELX: 4,
  R_X86_64_REX_GOTPCRELX: 4,
  R_X86_64_16: 2,
  R_X86_64_PC16: 2,
  R_X86_64_8: 1,
  R_X86_64_PC8: 1,
  R_X86_64_GOT32: 4,
  R_X86_64_TPOFF64: 8,
  R_X86_64_TLSGD: 4,
  R_X86_64_TLSLD: 4,
  R_X86_64_DTPOFF32: 4,
  R_X86_64_GOTTPOFF: 4,
  R_X86_64_TPOFF32: 4,
  R_X86_64_GOTOFF64: 8,
  R_X86_64_GOTPC32: 4,
  R_X86_64_GOT64: 8,
  R_X86_64_GOTPCREL64: 8,
  R_X86_64_GOTPC64: 8,
  R_X86_64_GOTPLT64: 8,
  R_X86_64_PLTOFF64: 8,
  R_X86_64_SIZE32: 4,
  R_X86_64_SIZE64: 8,
  R_X86_64_GOTPC32_TLSDESC: 4,
  R_X86_64_DTPOFF64: 8,
  R_X86_64_TLSDESC_CALL: 0,
};

const PC_RELATIVE: ReadonlySet<RelocationType> = new Set<RelocationType>([
  "R_X86_64_PC64",
  "R_X86_64_PC32",
  "R_X86_64_PLT32",
  "R_X86_64_PC16",
  "R_X86_64_PC8",
  "R_X86_64_GOTPCREL",
  "R_X86_64_GOTPCRELX",
  "R_X86_64_REX_GOTPCRELX",
  "R_X86_64_TLSGD",
  "R_X86_64_TLSLD",
  "R_X86_64_GOTTPOFF",
  "R_X86_64_GOTPC32",
  "R_X86_64_GOTPCREL64",
  "R_X86_64_GOTPC64",
  "R_X86_64_GOTPC32_TLSDESC",
]);

export function isPcRelative(type: RelocationType): boolean {
  return PC_RELATIVE.has(type);
}

/**
 * The symbols a relocation can name, by name: section symbols aside (a section's name names
 * it), file symbols aside (`.file "f"` does not define f), and the first symbol of a name winning.
 */
export function declaredSymbols(symbols: readonly ImageSymbol[]): Map<string, ImageSymbol> {
  const byName = new Map<string, ImageSymbol>();
  for (const s of symbols) if (s.type !== "section" && s.type !== "file" && !byName.has(s.name)) byName.set(s.name, s);
  return byName;
}

/**
 * Relocations as never rewrites against a section symbol (tc_i386_fix_adjustable): the linker
 * needs the symbol itself, for its GOT entry, its TLS offset or its size.
 */
const SYMBOL_KEEPING: ReadonlySet<RelocationType> = new Set<RelocationType>([
  "R_X86_64_GOT32",
  "R_X86_64_GOT64",
  "R_X86_64_GOTPCREL",
  "R_X86_64_GOTPCREL64",
  "R_X86_64_GOTPCRELX",
  "R_X86_64_REX_GOTPCRELX",
  "R_X86_64_GOTOFF64",
  "R_X86_64_TLSGD",
  "R_X86_64_TLSLD",
  "R_X86_64_DTPOFF32",
  "R_X86_64_DTPOFF64",
  "R_X86_64_GOTTPOFF",
  "R_X86_64_TPOFF32",
  "R_X86_64_TPOFF64",
  "R_X86_64_GOTPC32_TLSDESC",
  "R_X86_64_TLSDESC_CALL",
  "R_X86_64_SIZE32",
  "R_X86_64_SIZE64",
]);

export function keepsSymbol(type: RelocationType): boolean {
  return SYMBOL_KEEPING.has(type);
}

export function usesGot(type: RelocationType): boolean {
  return type === "R_X86_64_GOTPCREL" || type === "R_X86_64_GOTPCRELX" || type === "R_X86_64_REX_GOTPCRELX";
}
