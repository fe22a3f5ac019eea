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
import { encodeToSink, isEncodeError, type Fixup } from "../x86/encode.js";
import type { Instruction } from "../x86/instruction.js";
import { writeNopFill } from "../x86/nops.js";
import type { AssembledInstruction, AssembleResult, Assembler, ListingLine } from "./assembler.js";
import { fitsData } from "./directives.js";
import type { BranchPart, PendingFixup, SectionState, SymbolState } from "./state.js";

/** Where a symbol lives once layout is known. */
type Location =
  | { readonly kind: "abs"; readonly value: bigint }
  | { readonly kind: "section"; readonly section: SectionState; readonly off: number; readonly nvar: number; readonly extra: bigint }
  | { readonly kind: "undefined"; readonly symbol: SymbolState; readonly extra: bigint };

function locate(asm: Assembler, name: string, depth = 0): Location {
  const s = asm.symbol(name);
  if (s.section) return { kind: "section", section: s.section, off: s.off!, nvar: s.nvar!, extra: 0n };
  if (s.abs !== undefined) return { kind: "abs", value: s.abs };
  if (s.alias && depth < 64) {
    const inner = locate(asm, s.alias.plus, depth + 1);
    if (inner.kind === "abs") return { kind: "abs", value: BigInt.asUintN(64, inner.value + s.alias.addend) };
    return { ...inner, extra: inner.extra + s.alias.addend };
  }
  return { kind: "undefined", symbol: s, extra: 0n };
}

function isExternal(s: SymbolState): boolean {
  return s.binding === "global" || s.binding === "weak";
}

/** Address of a located symbol (layout must be done). */
function addressOf(loc: Extract<Location, { kind: "section" }>): bigint {
  return BigInt(loc.section.address(loc.off, loc.nvar)) + loc.extra;
}

export function finish(asm: Assembler): AssembleResult {
  for (const ref of asm.forwardRefs) {
    const s = asm.symbols.get(ref.name);
    if (!s?.section) asm.diagnostics.push(error("PV1019", `no following definition of local label ${ref.label}`, asm.file, ref.span));
  }
  const sections = [...asm.sections.values()];
  for (const section of sections) relax(asm, section);

  const data = new Map<SectionState, Uint8Array>();
  const relocations = new Map<SectionState, Relocation[]>();
  const referencedSections = new Set<SectionState>();
  const usedSymbols = new Set<SymbolState>();
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
      return (instructions ??= asm.instructionRecords.map((r): AssembledInstruction => {
        const offset = r.section.address(r.off, r.nvar);
        if (r.branch) return { instruction: finalBranches.get(r.branch) ?? r.instruction, section: r.section.name, offset, length: r.branch.size, span: r.span };
        return { instruction: r.instruction, section: r.section.name, offset, length: r.length, span: r.span };
      }));
    },
  };
}

/** Grows short branches that cannot reach their targets until nothing changes. */
function relax(asm: Assembler, section: SectionState): void {
  const targets = new Map<BranchPart, Extract<Location, { kind: "section" }>>();
  for (const part of section.parts) {
    if (part.kind !== "branch") continue;
    const loc = locate(asm, part.target);
    const weak = asm.symbol(part.target).binding === "weak";
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
    const fixups: Fixup[] = [];
    if (!part.isLong || (loc.kind === "section" && loc.section === section && asm.symbol(part.target).binding !== "weak")) {
      const target = addressOf(loc as Extract<Location, { kind: "section" }>) + part.addend;
      const chosen = part.isLong ? part.long : part.short;
      inst = { ...chosen, operands: [{ kind: "rel", target }] };
    } else inst = part.long;
    const enc = encodeToSink(inst, BigInt(addr), fixups);
    if (isEncodeError(enc)) {
      asm.diagnostics.push(error("PV1014", enc.error, asm.file, part.span));
      continue;
    }
    out.set(enc.bytes.subarray(0, enc.length), addr);
    finalBranches.set(part, part.isLong ? part.long : part.short);
    let list = relaxFixups.get(section);
    if (!list) relaxFixups.set(section, (list = []));
    for (const f of fixups)
      list.push({ off: part.at + f.offset, nvar: k, size: f.size, kind: f.kind, plus: f.symbol.name, minus: undefined, addend: f.addend, branch: true, span: part.span });
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
    readonly usedSymbols: Set<SymbolState>,
  ) {}

  private fail(f: PendingFixup, code: string, message: string): void {
    this.asm.diagnostics.push(error(code, message, this.asm.file, f.span));
  }

  resolve(f: PendingFixup): void {
    const asm = this.asm;
    const at = this.section.address(f.off, f.nvar);
    let addend = f.addend;
    let kind = f.kind;
    let plus = f.plus === undefined ? undefined : locate(asm, f.plus);
    if (f.minus !== undefined) {
      const minus = locate(asm, f.minus);
      if (minus.kind === "abs") addend -= minus.value;
      else if (minus.kind === "undefined") return this.fail(f, "PV1018", `cannot subtract the undefined symbol '${asm.displayName(f.minus)}'`);
      else if (plus?.kind === "section" && plus.section === minus.section) {
        addend += addressOf(plus) - addressOf(minus);
        plus = undefined;
      } else if (minus.section === this.section && kind !== "pcrel") {
        // sym - b, with b in this section: a pc-relative field.
        addend += BigInt(at) - addressOf(minus);
        kind = "pcrel";
      } else return this.fail(f, "PV1018", `cannot subtract '${asm.displayName(f.minus)}': it is in another section`);
    }
    if (plus?.kind === "abs") {
      addend += plus.value;
      plus = undefined;
    }
    if (plus === undefined) {
      if (kind === "pcrel") return this.fail(f, "PV1018", "a pc-relative field needs a symbol");
      return this.write(f, addend, kind === "signed");
    }
    const named = f.plus === undefined ? undefined : asm.symbol(f.plus);
    if (plus.kind === "section" && !isExternal(named!)) {
      const target = addressOf(plus) + addend;
      if (kind === "pcrel" && plus.section === this.section) return this.write(f, target - BigInt(at), true);
      this.referencedSections.add(plus.section);
      return this.relocate(f, kind, plus.section.name, target, false);
    }
    // A global, weak or undefined symbol: relocated by name.
    const symbol = plus.kind === "undefined" ? plus.symbol : named!;
    if (symbol.temporary && plus.kind === "undefined" && symbol.name.includes("\u0002")) return; // reported as PV1019
    this.usedSymbols.add(symbol);
    const extra = plus.kind === "undefined" ? plus.extra : 0n;
    this.relocate(f, kind, symbol.name, addend + extra, true);
  }

  private write(f: PendingFixup, value: bigint, signed: boolean): void {
    const v = BigInt.asIntN(64, value);
    const bits = BigInt(f.size * 8);
    const ok = f.size === 8 || (signed ? v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n) : fitsData(v, f.size));
    if (!ok) {
      if (f.branch) return this.fail(f, "PV1014", `branch target out of range for a rel${f.size * 8} displacement`);
      return this.fail(f, "PV1017", `value ${v} does not fit in ${f.size * 8} bits`);
    }
    const at = this.section.address(f.off, f.nvar);
    let x = BigInt.asUintN(f.size * 8, v);
    for (let i = 0; i < f.size; i++) {
      this.out[at + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }

  private relocate(f: PendingFixup, kind: string, symbol: string, addend: bigint, external: boolean): void {
    let type: RelocationType;
    if (kind === "pcrel") type = f.size === 8 ? "R_X86_64_PC64" : f.size === 4 ? (f.branch && external ? "R_X86_64_PLT32" : "R_X86_64_PC32") : f.size === 2 ? "R_X86_64_PC16" : "R_X86_64_PC8";
    else type = f.size === 8 ? "R_X86_64_64" : f.size === 4 ? (kind === "signed" ? "R_X86_64_32S" : "R_X86_64_32") : f.size === 2 ? "R_X86_64_16" : "R_X86_64_8";
    this.relocs.push({ offset: this.section.address(f.off, f.nvar), type, symbol, addend: BigInt.asIntN(64, addend) });
  }
}

function symbolTable(asm: Assembler, sections: SectionState[], referencedSections: Set<SectionState>, usedSymbols: Set<SymbolState>): ImageSymbol[] {
  const out: ImageSymbol[] = [];
  for (const s of sections) {
    if (referencedSections.has(s)) out.push({ name: s.name, section: s.name, value: 0n, size: 0n, binding: "local", type: "section" });
  }
  for (const s of asm.symbols.values()) {
    if (s.temporary && !isExternal(s)) continue;
    const loc = locate(asm, s.name);
    const defined = loc.kind !== "undefined";
    if (!defined && !usedSymbols.has(s) && !isExternal(s)) continue;
    let size = 0n;
    if (s.size) {
      const v = s.size.value;
      const plus = v.plus === undefined ? undefined : locate(asm, v.plus);
      const minus = v.minus === undefined ? undefined : locate(asm, v.minus);
      const value = (l: Location | undefined) => (l === undefined ? 0n : l.kind === "abs" ? l.value : l.kind === "section" ? addressOf(l) : undefined);
      const p = value(plus);
      const m = value(minus);
      const sameSection = plus?.kind !== "section" || minus?.kind !== "section" || plus.section === minus.section;
      if (p === undefined || m === undefined || !sameSection || (plus?.kind === "section" && minus === undefined))
        asm.diagnostics.push(error("PV1018", `the size of '${s.name}' must be a constant`, asm.file, s.size.span));
      else size = BigInt.asUintN(64, p - m + v.addend);
    }
    const binding = s.binding ?? (defined ? "local" : "global");
    const sym: { -readonly [K in keyof ImageSymbol]: ImageSymbol[K] } = {
      name: s.name,
      section: loc.kind === "section" ? loc.section.name : loc.kind === "abs" ? "*ABS*" : undefined,
      value: loc.kind === "section" ? addressOf(loc) : loc.kind === "abs" ? loc.value : 0n,
      size,
      binding,
      type: s.type ?? "notype",
    };
    if (s.visibility) sym.visibility = s.visibility;
    out.push(sym);
  }
  return out;
}

function listing(asm: Assembler, data: Map<SectionState, Uint8Array>): ListingLine[] {
  const lines: ListingLine[] = [];
  for (const e of asm.extents) {
    const start = e.section.address(e.off, e.nvar);
    const end = e.section.address(e.endOff, e.endNvar);
    const bytes = data.get(e.section)!.subarray(start, end);
    const last = lines[lines.length - 1];
    if (last && last.line === e.line && last.section === e.section.name && last.offset + last.bytes.length === start) {
      last.bytes = data.get(e.section)!.subarray(last.offset, end);
      continue;
    }
    lines.push({ line: e.line, section: e.section.name, offset: start, bytes, source: asm.file.lineText(e.line) });
  }
  return lines;
}
