/**
 * An Image is the in-memory object file every producer (the assembler, the code generator)
 * builds and every consumer (the ELF writer, the .S emitter, the patcher, the emulator's
 * loader) reads: sections with bytes, symbols and relocations. It is the documented API
 * between the stages; nothing downstream re-reads assembler text.
 */

export type RelocationType =
  | "R_X86_64_64"
  | "R_X86_64_PC32"
  | "R_X86_64_PLT32"
  | "R_X86_64_32"
  | "R_X86_64_32S"
  | "R_X86_64_PC64"
  | "R_X86_64_16"
  | "R_X86_64_PC16"
  | "R_X86_64_8"
  | "R_X86_64_PC8"
  | "R_X86_64_GOTPCREL"
  | "R_X86_64_GOTPCRELX"
  | "R_X86_64_REX_GOTPCRELX"
  | "R_X86_64_GOT32"
  | "R_X86_64_TPOFF64"
  | "R_X86_64_TLSGD"
  | "R_X86_64_TLSLD"
  | "R_X86_64_DTPOFF32"
  | "R_X86_64_GOTTPOFF"
  | "R_X86_64_TPOFF32"
  | "R_X86_64_GOTOFF64"
  | "R_X86_64_GOTPC32"
  | "R_X86_64_GOT64"
  | "R_X86_64_GOTPCREL64"
  | "R_X86_64_GOTPC64"
  | "R_X86_64_GOTPLT64"
  | "R_X86_64_PLTOFF64"
  | "R_X86_64_SIZE32"
  | "R_X86_64_SIZE64"
  | "R_X86_64_GOTPC32_TLSDESC"
  | "R_X86_64_DTPOFF64"
  /** Marks the `call *x@TLSCALL(%rax)` of a TLS descriptor sequence; it patches no field. */
  | "R_X86_64_TLSDESC_CALL";

/** ELF numbers of the relocation types (x86-64 psABI). */
export const RELOCATION_NUMBERS: Record<RelocationType, number> = {
  R_X86_64_64: 1,
  R_X86_64_PC32: 2,
  R_X86_64_GOT32: 3,
  R_X86_64_PLT32: 4,
  R_X86_64_GOTPCREL: 9,
  R_X86_64_32: 10,
  R_X86_64_32S: 11,
  R_X86_64_16: 12,
  R_X86_64_PC16: 13,
  R_X86_64_8: 14,
  R_X86_64_PC8: 15,
  R_X86_64_DTPOFF64: 17,
  R_X86_64_TPOFF64: 18,
  R_X86_64_TLSGD: 19,
  R_X86_64_TLSLD: 20,
  R_X86_64_DTPOFF32: 21,
  R_X86_64_GOTTPOFF: 22,
  R_X86_64_TPOFF32: 23,
  R_X86_64_PC64: 24,
  R_X86_64_GOTOFF64: 25,
  R_X86_64_GOTPC32: 26,
  R_X86_64_GOT64: 27,
  R_X86_64_GOTPCREL64: 28,
  R_X86_64_GOTPC64: 29,
  R_X86_64_GOTPLT64: 30,
  R_X86_64_PLTOFF64: 31,
  R_X86_64_SIZE32: 32,
  R_X86_64_SIZE64: 33,
  R_X86_64_GOTPC32_TLSDESC: 34,
  R_X86_64_TLSDESC_CALL: 35,
  R_X86_64_GOTPCRELX: 41,
  R_X86_64_REX_GOTPCRELX: 42,
};

export interface Relocation {
  /** Offset of the field inside its section. */
  readonly offset: number;
  readonly type: RelocationType;
  /** Target symbol name; a section's own name for section-relative relocations. */
  readonly symbol: string;
  readonly addend: bigint;
}

export interface SectionFlags {
  readonly alloc: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  /** SHF_MERGE: equal entries (of `entsize` bytes, or strings) may be merged by the linker. */
  readonly merge?: boolean;
  /** SHF_STRINGS: the entries are NUL-terminated strings. */
  readonly strings?: boolean;
  /** SHF_TLS: a template of thread-local storage (.tdata, .tbss). */
  readonly tls?: boolean;
}

export interface Section {
  readonly name: string;
  /** "progbits" holds bytes; "nobits" (.bss) only a size. */
  readonly kind: "progbits" | "nobits" | "note";
  readonly flags: SectionFlags;
  /** Alignment in bytes (a power of two). */
  readonly align: number;
  /** Size of one entry for sections of fixed-size entries (ELF sh_entsize); absent means 0. */
  readonly entsize?: number;
  /** Contents; for nobits sections all zero and only the length matters. */
  readonly data: Uint8Array;
  readonly relocations: readonly Relocation[];
}

export type SymbolBinding = "local" | "global" | "weak";
export type SymbolType = "notype" | "func" | "object" | "section" | "file" | "tls";
export type SymbolVisibility = "default" | "internal" | "hidden" | "protected";

export interface ImageSymbol {
  readonly name: string;
  /**
   * Defining section name; undefined for an undefined (external) symbol; "*ABS*" for absolute;
   * "*COM*" for a common symbol (ELF SHN_COMMON), whose value is then its alignment.
   */
  readonly section: string | undefined;
  readonly value: bigint;
  readonly size: bigint;
  readonly binding: SymbolBinding;
  readonly type: SymbolType;
  /** ELF st_other visibility; absent means "default". */
  readonly visibility?: SymbolVisibility;
}

export interface Image {
  readonly sections: readonly Section[];
  /** In definition order; writers sort as their format requires. */
  readonly symbols: readonly ImageSymbol[];
}

export function findSection(image: Image, name: string): Section | undefined {
  return image.sections.find((s) => s.name === name);
}

export function findSymbol(image: Image, name: string): ImageSymbol | undefined {
  return image.symbols.find((s) => s.name === name);
}

/** Default flags and kinds of the well-known section names, as GNU as assigns them. */
export function defaultSectionAttributes(name: string): Pick<Section, "kind" | "flags"> {
  if (name === ".text" || name.startsWith(".text.")) return { kind: "progbits", flags: { alloc: true, write: false, exec: true } };
  if (name === ".bss" || name.startsWith(".bss.")) return { kind: "nobits", flags: { alloc: true, write: true, exec: false } };
  if (name === ".tbss" || name.startsWith(".tbss.")) return { kind: "nobits", flags: { alloc: true, write: true, exec: false, tls: true } };
  if (name === ".tdata" || name.startsWith(".tdata.")) return { kind: "progbits", flags: { alloc: true, write: true, exec: false, tls: true } };
  if (name === ".rodata" || name.startsWith(".rodata.")) return { kind: "progbits", flags: { alloc: true, write: false, exec: false } };
  // as gives .note.GNU-stack no flags and, unlike other .note sections, type PROGBITS.
  if (name === ".note.GNU-stack") return { kind: "progbits", flags: { alloc: false, write: false, exec: false } };
  if (name.startsWith(".note")) return { kind: "note", flags: { alloc: false, write: false, exec: false } };
  if (name.startsWith(".debug") || name === ".comment") return { kind: "progbits", flags: { alloc: false, write: false, exec: false } };
  return { kind: "progbits", flags: { alloc: true, write: true, exec: false } };
}
