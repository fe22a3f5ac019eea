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
