/**
 * Section attributes as GNU as assigns them: by name for the names bfd knows (.text, .data,
 * .bss, .rodata, .note, .debug, ...), from the flags and type arguments of `.section` otherwise.
 * A name as does not know, given no flags, gets no flags at all (not even alloc).
 */
import { defaultSectionAttributes, type Section, type SectionFlags } from "../image/image.js";

export interface SectionAttributes {
  readonly kind: Section["kind"];
  readonly flags: SectionFlags;
  readonly entsize?: number;
}

const KNOWN_PREFIXES = [".text", ".data", ".bss", ".rodata", ".note", ".debug", ".tdata", ".tbss", ".init_array", ".fini_array", ".preinit_array"];
const KNOWN_NAMES = new Set([".comment", ".init", ".fini"]);

function isKnown(name: string): boolean {
  if (KNOWN_NAMES.has(name)) return true;
  return KNOWN_PREFIXES.some((p) => name === p || name.startsWith(p + "."));
}

export function sectionAttributesByName(name: string): SectionAttributes {
  if (name === ".init" || name === ".fini") return { kind: "progbits", flags: { alloc: true, write: false, exec: true } };
  if (isKnown(name)) return defaultSectionAttributes(name);
  return { kind: "progbits", flags: { alloc: false, write: false, exec: false } };
}

const FLAG_NAMES = ["alloc", "write", "exec", "merge", "strings", "tls"] as const;

/**
 * What `.section NAME, "FLAGS"...` makes of a new section (obj-elf.c obj_elf_change_section): a
 * name bfd knows keeps its own flags as well, unless the line asks for a flag the name does not
 * have, when as warns and takes the line's flags as they are.
 */
export function newSectionAttributes(name: string, given: SectionAttributes): SectionAttributes {
  if (!isKnown(name)) return given;
  const known = sectionAttributesByName(name).flags;
  if (FLAG_NAMES.some((f) => given.flags[f] && !known[f])) return given;
  const flags: { -readonly [F in (typeof FLAG_NAMES)[number]]?: boolean } = {};
  for (const f of FLAG_NAMES) if (given.flags[f] || known[f]) flags[f] = true;
  return { ...given, flags: { alloc: false, write: false, exec: false, ...flags } };
}

/**
 * Why `.section NAME, "FLAGS"[, @TYPE[, ENTSIZE]]` cannot switch to the existing section: as
 * refuses another type, other flags or another entry size of a merged section for a name it does
 * not know (for one it knows it warns and keeps the first).
 */
export function changedAttributes(name: string, existing: SectionAttributes, given: SectionAttributes, typeGiven: boolean): string | undefined {
  if (isKnown(name)) return undefined;
  if (typeGiven && given.kind !== existing.kind) return `changed section type for ${name}`;
  // An empty flags string ("") asks for nothing.
  if (!FLAG_NAMES.some((f) => given.flags[f])) return undefined;
  if (FLAG_NAMES.some((f) => Boolean(given.flags[f]) !== Boolean(existing.flags[f]))) return `changed section attributes for ${name}`;
  if (given.flags.merge && (given.entsize ?? 0) !== (existing.entsize ?? 0)) return `changed section entity size for ${name}`;
  return undefined;
}

/** Parses the flags string of `.section name,"flags"`; returns the offending letter on error. */
export function parseSectionFlags(flags: string): SectionFlags | { bad: string } {
  let alloc = false;
  let write = false;
  let exec = false;
  let merge = false;
  let strings = false;
  let tls = false;
  for (const ch of flags) {
    if (ch === "a") alloc = true;
    else if (ch === "w") write = true;
    else if (ch === "x") exec = true;
    else if (ch === "M") merge = true;
    else if (ch === "S") strings = true;
    else if (ch === "T") tls = true;
    else return { bad: ch };
  }
  const f: { alloc: boolean; write: boolean; exec: boolean; merge?: boolean; strings?: boolean; tls?: boolean } = { alloc, write, exec };
  if (merge) f.merge = true;
  if (strings) f.strings = true;
  if (tls) f.tls = true;
  return f;
}

/** The kind a `.section` type argument names (`@progbits`, `%nobits`, `"note"`). */
export function sectionKindOf(type: string): Section["kind"] | undefined {
  const t = type.replace(/^[@%"]/, "").replace(/"$/, "");
  if (t === "progbits") return "progbits";
  if (t === "nobits") return "nobits";
  if (t === "note") return "note";
  return undefined;
}
