/**
 * After the statement pass: relax branches to a fixed point, lay out each section, then resolve
 * every fixup the way GNU as does —
 *
 * - a jmp/jcc to a symbol defined in the same section (local or global) is resolved in place,
 *   rel8 when the displacement fits, else rel32; any other target gets rel32 and a relocation;
 * - a pc-relative field whose symbol is a local label of the same section is resolved in place;
 *   `call` and rip-relative references to a global symbol keep a relocation;
 * - `a - b` with both in one section is a constant; `sym - .` (or `sym - b` with b in the
 *   field's section) becomes a pc-relative relocation;
 * - a relocation against a local label uses its section's symbol plus the label's offset; a
 *   global, weak or undefined symbol is relocated by name. Branches to global, weak or undefined
 *   symbols use R_X86_64_PLT32, other pc-relative 32-bit fields R_X86_64_PC32.
 */
import { error } from "../diag/diagnostic.js";
import type { Image, ImageSymbol, Relocation, RelocationType, Section } from "../image/image.js";
import { encodeInstruction, isEncodeError } from "../x86/encode.js";
import type { Instruction } from "../x86/instruction.js";
import { writeNopFill } from "../x86/nops.js";
import { Extent, type AssembledInstruction, type AssembleResult, type Assembler, type ListingLine } from "./assembler.js";
import { fitsData } from "./directives.js";
import type { BranchPart, PendingFixup, SectionState, SymbolId } from "./state.js";

/** Where a symbol lives once layout is known. */
type Location =
  | { readonly kind: "abs"; readonly value: bigint }
  | { readonly kind: "section"; readonly section: SectionState; readonly off: number; readonly nvar: number; readonly extra: bigint }
  | { readonly kind: "undefined"; readonly symbol: SymbolId; readonly extra: bigint };

function locate(asm: Assembler, id: SymbolId, depth = 0): Location {
  const symbols = asm.symbols;
  const section = symbols.section(id);
  if (section) return { kind: "section", section, off: symbols.off(id), nvar: symbols.nvar(id), extra: 0n };
  const value = symbols.value(id);
  if (value !== undefined) return { kind: "abs", value };
  const alias = symbols.alias(id);
  if (alias && depth < 64) {
    const inner = locate(asm, asm.symbol(alias.plus), depth + 1);
    if (inner.kind === "abs") return { kind: "abs", value: BigInt.asUintN(64, inner.value + alias.addend) };
    return { ...inner, extra: inner.extra + alias.addend };
  }
  return { kind: "undefined", symbol: id, extra: 0n };
}

/** Address of a located symbol (layout must be done). */
function addressOf(loc: Extract<Location, { kind: "section" }>): bigint {
  return BigInt(loc.section.address(loc.off, loc.nvar)) + loc.extra;
}

export function finish(asm: Assembler): AssembleResult {
  for (const ref of asm.forwardRefs) {
    const id = asm.symbols.find(ref.name, 0, ref.name.length);
    if (id < 0 || !asm.symbols.section(id)) asm.diagnostics.push(error("PV1019", `no following definition of local label ${ref.label}`, asm.file, ref.span));
  }
  const sections = [...asm.sections.values()];
  for (const section of sections) relax(asm, section);

  const data = new Map<SectionState, Uint8Array>();
  const relocations = new Map<SectionState, Relocation[]>();
  const referencedSections = new Set<SectionState>();
  const usedSymbols = new Set<SymbolId>();
  const finalBranches = new Map<BranchPart, Instruction>();
  const relaxFixups = new Map<SectionState, PendingFixup[]>();
  for (const section of sections) {
    const out = new Uint8Array(section.size);
    if (section.kind !== "nobits") materialize(asm, section, out, finalBranches, relaxFixups);
    data.set(section, out);
  }
  for (const section of sections) {
    const relocs: Relocation[] = [];
    const out = data.get(section)!;
    const resolver = new FixupResolver(asm, section, out, relocs, referencedSections, usedSymbols);
    for (const f of section.fixups) resolver.resolve(f);
    // gas creates the fixups of relaxed branches last, after every other fixup of the section.
    for (const f of relaxFixups.get(section) ?? []) resolver.resolve(f);
    relocations.set(section, relocs);
  }

  const imageSections: Section[] = sections.map((s) => {
    const sec: { -readonly [K in keyof Section]: Section[K] } = {
      name: s.name,
      kind: s.kind,
      flags: s.flags,
      align: s.align,
      data: data.get(s)!,
      relocations: relocations.get(s)!,
    };
    if (s.entsize) sec.entsize = s.entsize;
    return sec;
  });
  const image: Image = { sections: imageSections, symbols: symbolTable(asm, sections, referencedSections, usedSymbols) };
  // The listing and the instruction list are built on first use: most callers want neither.
  let listed: ListingLine[] | undefined;
  let instructions: AssembledInstruction[] | undefined;
  return {
    image,
    diagnostics: asm.diagnostics,
    get listing() {
      return (listed ??= listing(asm, data));
    },
    get instructions() {
      return (instructions ??= instructionList(asm, finalBranches));
    },
  };
}

/** Grows short branches that cannot reach their targets until nothing changes. */
function relax(asm: Assembler, section: SectionState): void {
  const targets = new Map<BranchPart, Extract<Location, { kind: "section" }>>();
  for (const part of section.parts) {
    if (part.kind !== "branch") continue;
    const loc = locate(asm, part.target);
    const weak = asm.symbols.binding(part.target) === "weak";
    if (loc.kind === "section" && loc.section === section && !weak) targets.set(part, loc);
    else {
      part.isLong = true;
      part.size = part.longSize;
    }
  }
  for (;;) {
    layoutParts(section);
    let changed = false;
    for (let k = 0; k < section.parts.length; k++) {
      const part = section.parts[k]!;
      if (part.kind !== "branch" || part.isLong) continue;
      const target = addressOf(targets.get(part)!) + part.addend;
      const end = BigInt(part.at + section.partOffsets[k]! + part.shortSize);
      const disp = target - end;
      if (disp < -128n || disp > 127n) {
        part.isLong = true;
        part.size = part.longSize;
        changed = true;
      }
    }
    if (!changed) return;
  }
}

/** Computes alignment padding and the running offsets of the variable parts. */
function layoutParts(section: SectionState): void {
  const offsets = new Array<number>(section.parts.length + 1);
  let running = 0;
  for (let k = 0; k < section.parts.length; k++) {
    offsets[k] = running;
    const part = section.parts[k]!;
    if (part.kind === "align") {
      const addr = part.at + running;
      let pad = (part.alignment - (addr % part.alignment)) % part.alignment;
      if (part.max > 0 && pad > part.max) pad = 0;
      part.size = pad;
    }
    running += part.size;
  }
  offsets[section.parts.length] = running;
  section.partOffsets = offsets;
}

/** Copies the fixed bytes and fills in padding and branches. */
function materialize(
  asm: Assembler,
  section: SectionState,
  out: Uint8Array,
  finalBranches: Map<BranchPart, Instruction>,
  relaxFixups: Map<SectionState, PendingFixup[]>,
): void {
  let from = 0;
  for (let k = 0; k < section.parts.length; k++) {
    const part = section.parts[k]!;
    const shift = section.partOffsets[k]!;
    out.set(section.buf.subarray(from, part.at), from + shift);
    from = part.at;
    const addr = part.at + shift;
    if (part.kind === "align") {
      if (part.fill === "nop") writeNopFill(out, addr, part.size);
      else out.fill(part.fill, addr, addr + part.size);
      continue;
    }
    const loc = locate(asm, part.target);
    let inst: Instruction;
    if (!part.isLong || (loc.kind === "section" && loc.section === section && asm.symbols.binding(part.target) !== "weak")) {
      const target = addressOf(loc as Extract<Location, { kind: "section" }>) + part.addend;
      const chosen = part.isLong ? part.long : part.short;
      inst = { ...chosen, operands: [{ kind: "rel", target }] };
    } else inst = part.long;
    const enc = encodeInstruction(inst, BigInt(addr));
    if (isEncodeError(enc)) {
      asm.diagnostics.push(error("PV1014", enc.error, asm.file, part.span));
      continue;
    }
    out.set(enc.bytes, addr);
    finalBranches.set(part, part.isLong ? part.long : part.short);
    let list = relaxFixups.get(section);
    if (!list) relaxFixups.set(section, (list = []));
    for (const f of enc.fixups)
      list.push({ off: part.at + f.offset, nvar: k, size: f.size, kind: f.kind, branch: true, plus: asm.symbol(f.symbol.name), minus: -1, addend: f.addend, start: part.span.start, end: part.span.end });
  }
  out.set(section.buf.subarray(from, section.len), from + section.partOffsets[section.parts.length]!);
}

class FixupResolver {
  constructor(
    readonly asm: Assembler,
    readonly section: SectionState,
    readonly out: Uint8Array,
    readonly relocs: Relocation[],
    readonly referencedSections: Set<SectionState>,
    readonly usedSymbols: Set<SymbolId>,
  ) {}

  private fail(f: PendingFixup, code: string, message: string): void {
    this.asm.diagnostics.push(error(code, message, this.asm.file, { start: f.start, end: f.end }));
  }

  resolve(f: PendingFixup): void {
    const asm = this.asm;
    const at = this.section.address(f.off, f.nvar);
    let addend = f.addend;
    let kind = f.kind;
    let plus: Location | undefined = locate(asm, f.plus);
    if (f.minus >= 0) {
      const minus = locate(asm, f.minus);
      if (minus.kind === "abs") addend -= minus.value;
      else if (minus.kind === "undefined") return this.fail(f, "PV1018", `cannot subtract the undefined symbol '${asm.displayName(asm.symbols.name(f.minus))}'`);
      else if (plus?.kind === "section" && plus.section === minus.section) {
        addend += addressOf(plus) - addressOf(minus);
        plus = undefined;
      } else if (minus.section === this.section && kind !== "pcrel") {
        // sym - b, with b in this section: a pc-relative field.
        addend += BigInt(at) - addressOf(minus);
        kind = "pcrel";
      } else return this.fail(f, "PV1018", `cannot subtract '${asm.displayName(asm.symbols.name(f.minus))}': it is in another section`);
    }
    if (plus?.kind === "abs") {
      addend += plus.value;
      plus = undefined;
    }
    if (plus === undefined) {
      if (kind === "pcrel") return this.fail(f, "PV1018", "a pc-relative field needs a symbol");
      return this.write(f, addend, kind === "signed");
    }
    const named = f.plus;
    if (plus.kind === "section" && !asm.symbols.external(named)) {
      const target = addressOf(plus) + addend;
      if (kind === "pcrel" && plus.section === this.section) return this.write(f, target - BigInt(at), true);
      this.referencedSections.add(plus.section);
      return this.relocate(f, kind, plus.section.name, target, false);
    }
    // A global, weak or undefined symbol: relocated by name.
    const symbol = plus.kind === "undefined" ? plus.symbol : named;
    const symbolName = asm.symbols.name(symbol);
    if (asm.symbols.temporary(symbol) && plus.kind === "undefined" && symbolName.includes("\u0002")) return; // reported as PV1019
    this.usedSymbols.add(symbol);
    const extra = plus.kind === "undefined" ? plus.extra : 0n;
    this.relocate(f, kind, symbolName, addend + extra, true);
  }

  private write(f: PendingFixup, value: bigint, signed: boolean): void {
    const size = f.size;
    const v = BigInt.asIntN(64, value);
    const bits = BigInt(size * 8);
    const ok = size === 8 || (signed ? v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n) : fitsData(v, size));
    if (!ok) {
      if (f.branch) return this.fail(f, "PV1014", `branch target out of range for a rel${size * 8} displacement`);
      return this.fail(f, "PV1017", `value ${v} does not fit in ${size * 8} bits`);
    }
    const at = this.section.address(f.off, f.nvar);
    let x = BigInt.asUintN(size * 8, v);
    for (let i = 0; i < size; i++) {
      this.out[at + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }

  private relocate(f: PendingFixup, kind: string, symbol: string, addend: bigint, external: boolean): void {
    const size = f.size;
    let type: RelocationType;
    if (kind === "pcrel") type = size === 8 ? "R_X86_64_PC64" : size === 4 ? (f.branch && external ? "R_X86_64_PLT32" : "R_X86_64_PC32") : size === 2 ? "R_X86_64_PC16" : "R_X86_64_PC8";
    else type = size === 8 ? "R_X86_64_64" : size === 4 ? (kind === "signed" ? "R_X86_64_32S" : "R_X86_64_32") : size === 2 ? "R_X86_64_16" : "R_X86_64_8";
    this.relocs.push({ offset: this.section.address(f.off, f.nvar), type, symbol, addend: BigInt.asIntN(64, addend) });
  }
}

function symbolTable(asm: Assembler, sections: SectionState[], referencedSections: Set<SectionState>, usedSymbols: Set<SymbolId>): ImageSymbol[] {
  const out: ImageSymbol[] = [];
  for (const s of sections) {
    if (referencedSections.has(s)) out.push({ name: s.name, section: s.name, value: 0n, size: 0n, binding: "local", type: "section" });
  }
  const symbols = asm.symbols;
  for (let id = 0; id < symbols.count; id++) {
    const external = symbols.external(id);
    if (symbols.temporary(id) && !external) continue;
    const name = symbols.name(id);
    const loc = locate(asm, id);
    const defined = loc.kind !== "undefined";
    if (!defined && !usedSymbols.has(id) && !external) continue;
    let size = 0n;
    const declaredSize = symbols.size(id);
    if (declaredSize) {
      const v = declaredSize.value;
      const plus = v.plus === undefined ? undefined : locate(asm, asm.symbol(v.plus));
      const minus = v.minus === undefined ? undefined : locate(asm, asm.symbol(v.minus));
      const value = (l: Location | undefined) => (l === undefined ? 0n : l.kind === "abs" ? l.value : l.kind === "section" ? addressOf(l) : undefined);
      const p = value(plus);
      const m = value(minus);
      const sameSection = plus?.kind !== "section" || minus?.kind !== "section" || plus.section === minus.section;
      if (p === undefined || m === undefined || !sameSection || (plus?.kind === "section" && minus === undefined))
        asm.diagnostics.push(error("PV1018", `the size of '${name}' must be a constant`, asm.file, declaredSize.span));
      else size = BigInt.asUintN(64, p - m + v.addend);
    }
    const binding = symbols.binding(id) ?? (defined ? "local" : "global");
    const sym: { -readonly [K in keyof ImageSymbol]: ImageSymbol[K] } = {
      name,
      section: loc.kind === "section" ? loc.section.name : loc.kind === "abs" ? "*ABS*" : undefined,
      value: loc.kind === "section" ? addressOf(loc) : loc.kind === "abs" ? loc.value : 0n,
      size,
      binding,
      type: symbols.type(id) ?? "notype",
    };
    const visibility = symbols.visibility(id);
    if (visibility) sym.visibility = visibility;
    out.push(sym);
  }
  return out;
}

function listing(asm: Assembler, data: Map<SectionState, Uint8Array>): ListingLine[] {
  const lines: ListingLine[] = [];
  const extents = asm.extents;
  for (let k = 0; k < extents.count; k++) {
    const line = extents.get(k, Extent.Line);
    const section = asm.sectionList[extents.get(k, Extent.Section)]!;
    const start = section.address(extents.get(k, Extent.Off), extents.get(k, Extent.Nvar));
    const end = section.address(extents.get(k, Extent.EndOff), extents.get(k, Extent.EndNvar));
    const bytes = data.get(section)!.subarray(start, end);
    const last = lines[lines.length - 1];
    if (last && last.line === line && last.section === section.name && last.offset + last.bytes.length === start) {
      last.bytes = data.get(section)!.subarray(last.offset, end);
      continue;
    }
    lines.push({ line, section: section.name, offset: start, bytes, source: asm.file.lineText(line) });
  }
  return lines;
}

function instructionList(asm: Assembler, finalBranches: Map<BranchPart, Instruction>): AssembledInstruction[] {
  const log = asm.log;
  const out: AssembledInstruction[] = [];
  for (let k = 0; k < log.count; k++) {
    const at = log.place(k);
    const section = asm.sectionList[at.section]!;
    const offset = section.address(at.off, at.nvar);
    const span = { start: at.start, end: at.end };
    if (at.length < 0) {
      const branch = section.parts[at.nvar] as BranchPart;
      out.push({ instruction: finalBranches.get(branch) ?? branch.short, section: section.name, offset, length: branch.size, span });
    } else out.push({ instruction: log.instruction(k, asm.text, asm.nameOf), section: section.name, offset, length: at.length, span });
  }
  return out;
}
