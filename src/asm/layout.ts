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
 * - a relocation against a local label uses its section's symbol plus the label's offset —
 *   except into a mergeable section when the field is pc-relative, has an addend or subtracts
 *   a symbol: then it names the label, which goes into the symbol table; a global, weak or
 *   undefined symbol is relocated by name. Branches to global, weak or undefined symbols use
 *   R_X86_64_PLT32, other pc-relative 32-bit fields R_X86_64_PC32; references to
 *   _GLOBAL_OFFSET_TABLE_ use R_X86_64_GOTPC32/64;
 * - a field with a relocation operator (reloc-operators.ts) is always relocated, with the
 *   operator's type for its size; GOT, TLS and size relocations name the symbol itself, even a
 *   local one. `jmp`/`call sym@PLT` to a local symbol of the same section is resolved in place.
 *
 * The symbol table follows as's symbol list, whose order the comment on MadeSymbol
 * (assembler.ts) explains.
 */
import { error } from "../diag/diagnostic.js";
import type { Image, ImageSymbol, Relocation, RelocationType, Section } from "../image/image.js";
import { encode, EncodeInput, FixupList, Sink, SlotKind, type FixupKind } from "../x86/encode.js";
import { writeNopFill } from "../x86/nops.js";
import { GOT_SYMBOL, GOTPCREL_OPERATOR, NO_OPERATOR, operatorKeepsSymbol, operatorMakesThreadLocal, operatorRelocation, PLT_OPERATOR, subtractsFieldSize, type FieldSignedness } from "../x86/reloc-operators.js";
import type { AssembledInstruction, AssembleResult, Assembler, ListingLine } from "./assembler.js";
import { writeCallFrames } from "./cfi.js";
import { fitsData } from "./directives.js";
import { ABS_SECTION, COMMON_SECTION } from "../image/elf.js";
import { addExact, FIXUP_DATA, FIXUP_FIELD_OFFSET_SHIFT, FIXUP_RELAXABLE_GOT, FIXUP_REX, FixupRows, OPERATOR_MASK, type AlignPart, type BranchPart, type CommonSymbol, type OrgPart, type SectionState, type SymbolId } from "./state.js";

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

/**
 * Up to this many statements that emit something, an assembly builds its listing and
 * instruction list at once and gives its stores back for the next assembly (the checker's many
 * small bodies); a larger one keeps them to build those lists when they are read.
 */
const EAGER_STATEMENTS = 64;

export function finish(asm: Assembler): AssembleResult {
  for (const ref of asm.forwardRefs) {
    const id = asm.symbols.find(ref.name, 0, ref.name.length);
    if (id < 0 || !asm.symbols.section(id)) asm.diagnostics.push(error("PV1019", `no following definition of local label ${ref.label}`, asm.file, ref.span));
  }
  const sections = [...asm.sections.values()];
  const sectionNamed = placeSectionNames(asm, sections);
  joinSubsections(asm, sections);
  for (const section of sections) {
    relax(asm, section);
    for (const part of section.parts) {
      if (part.kind === "org" && part.backwards) asm.diagnostics.push(error("PV1013", "attempt to move .org backwards", asm.file, { start: part.start, end: part.end }));
    }
  }
  // The call frame sections are written from the final code addresses.
  sections.push(...writeCallFrames(asm));

  const data = new Map<SectionState, Uint8Array>();
  const relocations = new Map<SectionState, Relocation[]>();
  const referencedSections = new Set<SectionState>();
  const usedSymbols = new Set<SymbolId>();
  const relaxFixups = new Map<SectionState, FixupRows>();
  for (const section of sections) {
    const out = new Uint8Array(section.size);
    if (section.kind !== "nobits") materialize(asm, section, out, relaxFixups);
    data.set(section, out);
  }
  for (const section of sections) {
    const relocs: Relocation[] = [];
    const out = data.get(section)!;
    const resolver = new FixupResolver(asm, section, out, relocs, referencedSections, usedSymbols);
    resolver.resolveAll(section.fixups);
    // gas creates the fixups of relaxed branches last, after every other fixup of the section.
    const relaxed = relaxFixups.get(section);
    if (relaxed) resolver.resolveAll(relaxed);
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
  const image: Image = { sections: imageSections, symbols: symbolTable(asm, referencedSections, usedSymbols, sectionNamed) };
  if (asm.log.count <= EAGER_STATEMENTS) {
    const result = { image, diagnostics: asm.diagnostics, listing: listing(asm, data), instructions: instructionList(asm) };
    asm.arena.recycle();
    return result;
  }
  // The listing and the instruction list are built on first use: most callers of a large
  // assembly want neither, and building them would cost more than assembling.
  let listed: ListingLine[] | undefined;
  let instructions: AssembledInstruction[] | undefined;
  return {
    image,
    diagnostics: asm.diagnostics,
    get listing() {
      return (listed ??= listing(asm, data));
    },
    get instructions() {
      return (instructions ??= instructionList(asm));
    },
  };
}

/**
 * A section's name is a symbol for as, its section symbol: a name mentioned and defined no other
 * way becomes a label at the section's start, which the symbol table leaves out (a relocation
 * against it is one against the section).
 */
function placeSectionNames(asm: Assembler, sections: readonly SectionState[]): Set<SymbolId> {
  const placed = new Set<SymbolId>();
  for (const section of sections) {
    const id = asm.symbols.find(section.name, 0, section.name.length);
    if (id < 0 || asm.symbols.defined(id) || asm.symbols.external(id)) continue;
    asm.symbols.place(id, section, 0, 0);
    placed.add(id);
  }
  return placed;
}

/** Appends each section's numbered subsections to it in order, and moves their labels and statements along. */
function joinSubsections(asm: Assembler, sections: readonly SectionState[]): void {
  const moves = new Map<number, { section: SectionState; off: number; nvar: number }>();
  for (const section of sections) {
    const numbers = [...section.subsections.keys()].sort((a, b) => a - b);
    for (const n of numbers) {
      const chunk = section.subsections.get(n)!;
      moves.set(chunk.order, { section, ...section.join(chunk) });
    }
  }
  if (moves.size === 0) return;
  asm.symbols.moveLabels(moves);
  asm.log.moveStatements(moves);
}

/**
 * Relaxes the section's branches the way as does (write.c relax_segment), so that it reaches the
 * same fixed point, which need not be the smallest layout. In as's terms, fragment k is the fixed
 * bytes before part k with part k as its variable tail; the last fragment has no tail.
 *
 * Each round starts with an address pass that sizes the alignments from its own addresses and
 * takes `.org` and `.nops` as empty and the branches at their current size; then passes visit
 * the fragments in order, moving each by the growth so far in the pass (the stretch), until a
 * pass grows nothing (relaxPass). as runs rounds again while a round moved any fragment
 * (write.c, the relax_seg loop), so pvopc does too.
 */
function relax(asm: Assembler, section: SectionState): void {
  const parts = section.parts;
  const frags = relaxationFrags(asm, section);
  section.partOffsets = new Array<number>(parts.length + 1).fill(0);
  if (parts.length === 0) return;
  let previous: number[] | undefined;
  for (;;) {
    estimateAddresses(section);
    while (relaxPass(section, frags)) {
      // until a pass grows nothing
    }
    const offsets = section.partOffsets;
    if (previous && offsets.every((o, k) => o === previous![k])) break;
    previous = offsets.slice();
  }
  parts.forEach((part, k) => {
    if (part.kind === "org") part.backwards = orgTarget(section, part) < part.at + section.partOffsets[k]!;
  });
}

/** What relaxation needs to know of a section's fragments besides their parts. */
interface RelaxationFrags {
  /** as's region of each fragment: it changes after every alignment and `.org` (relax_segment). */
  readonly region: Int32Array;
  /** The fragment each relaxable branch's target lies in, -1 for other parts. */
  readonly targetFrag: Int32Array;
  /** The target's offset into the fixed bytes, plus the addend. */
  readonly targetOffset: Float64Array;
}

/**
 * The fragments, and which branches as relaxes: those to a symbol it resolves here. The others
 * are rel32 from the start (tc-i386.c md_estimate_size_before_relax).
 */
function relaxationFrags(asm: Assembler, section: SectionState): RelaxationFrags {
  const parts = section.parts;
  const count = parts.length;
  const region = new Int32Array(count + 1);
  const targetFrag = new Int32Array(count).fill(-1);
  const targetOffset = new Float64Array(count);
  let r = 0;
  for (let k = 0; k < count; k++) {
    const part = parts[k]!;
    region[k] = r;
    if (part.kind === "align" || part.kind === "org") r++;
    if (part.kind !== "branch") continue;
    const loc = locate(asm, part.target);
    if (loc.kind === "section" && loc.section === section && resolvedHere(asm, part)) {
      if (part.isLong) continue;
      targetFrag[k] = loc.nvar;
      targetOffset[k] = Number(addExact(addExact(loc.off, loc.extra), part.addend));
    } else {
      part.isLong = true;
      part.size = part.longSize;
    }
  }
  region[count] = r;
  return { region, targetFrag, targetOffset };
}

/** as's first guess at the addresses (the address pass of relax_segment). */
function estimateAddresses(section: SectionState): void {
  const parts = section.parts;
  const offsets = section.partOffsets;
  let shift = 0;
  for (let k = 0; k < parts.length; k++) {
    offsets[k] = shift;
    const part = parts[k]!;
    if (part.kind === "align") part.size = padding(part, part.at + shift);
    else if (part.kind !== "branch") part.size = 0;
    shift += part.size;
  }
  offsets[parts.length] = shift;
}

/**
 * One relaxation pass (the loop body of relax_segment, with relax_frag for the branches);
 * whether anything grew.
 */
function relaxPass(section: SectionState, frags: RelaxationFrags): boolean {
  const parts = section.parts;
  const offsets = section.partOffsets;
  const { region, targetFrag, targetOffset } = frags;
  let stretch = 0;
  let stretched = false;
  for (let k = 0; k < parts.length; k++) {
    offsets[k] = offsets[k]! + stretch;
    const part = parts[k]!;
    const tail = part.at + offsets[k]!;
    let growth = 0;
    if (part.kind === "align") growth = padding(part, tail) - padding(part, tail - stretch);
    else if (part.kind === "org") {
      // A target behind keeps the size; layout reports it at the end.
      const target = orgTarget(section, part);
      if (target >= tail) growth = target - tail - part.size;
    }
    else if (part.kind === "nops") growth = part.count - part.size;
    else if (!part.isLong && targetFrag[k]! >= 0) {
      const frag = targetFrag[k]!;
      // relax_frag measures from the end of the opcode, where the rel8 displacement starts.
      const opcodeEnd = tail + part.shortSize - 1;
      let target = targetOffset[k]! + offsets[frag]!;
      // A fragment not visited yet in this pass is assumed to move by the stretch, unless an
      // alignment or `.org` lies between that may absorb it; then a target that now seems
      // behind the branch keeps it short.
      if (stretch !== 0 && frag > k) {
        if (stretch < 0 || region[frag] === region[k]) target += stretch;
        else if (target < opcodeEnd) continue;
      }
      const aim = target - opcodeEnd;
      // md_relax_table: the rel8 form reaches 127 + 1 forward and -128 + 1 back from there.
      if (aim > 128 || aim < -127) {
        part.isLong = true;
        growth = part.longSize - part.shortSize;
      }
    }
    if (growth !== 0) {
      part.size += growth;
      stretch += growth;
      stretched = true;
    }
  }
  offsets[parts.length] = offsets[parts.length]! + stretch;
  return stretched;
}

/** Alignment padding at `address`: none when it would exceed the maximum (relax_align and its callers). */
function padding(part: AlignPart, address: number): number {
  const pad = (part.alignment - (address % part.alignment)) % part.alignment;
  return part.max > 0 && pad > part.max ? 0 : pad;
}

/** Where `.org` moves to, once the fragments up to it are placed. */
function orgTarget(section: SectionState, part: OrgPart): number {
  return part.addend + (part.label ? section.address(part.label.off, part.label.nvar) : 0);
}

/** Whether a branch to a symbol of its own section is resolved in place: not to a weak one, nor `@PLT` to a global one. */
function resolvedHere(asm: Assembler, part: BranchPart): boolean {
  const binding = asm.symbols.binding(part.target);
  return binding !== "weak" && !(part.viaPlt && binding === "global");
}

/** The address a branch to `loc` plus `addend` goes to (layout must be done). */
function targetAddress(loc: Extract<Location, { kind: "section" }>, addend: number | bigint): number | bigint {
  const address = loc.section.address(loc.off, loc.nvar);
  return addExact(loc.extra === 0n ? address : BigInt(address) + loc.extra, addend);
}

/** Copies the fixed bytes and fills in padding and branches. */
/** A branch being encoded at layout, with its output. */
const branch = new EncodeInput();
const encoded = new Sink();
const encodedFixups = new FixupList();

function materialize(asm: Assembler, section: SectionState, out: Uint8Array, relaxFixups: Map<SectionState, FixupRows>): void {
  let from = 0;
  for (let k = 0; k < section.parts.length; k++) {
    const part = section.parts[k]!;
    const shift = section.partOffsets[k]!;
    copy(section.buf, from, part.at, out, from + shift);
    from = part.at;
    const addr = part.at + shift;
    if (part.kind === "align") {
      if (part.fill === "nop") writeNopFill(out, addr, part.size);
      else out.fill(part.fill, addr, addr + part.size);
      continue;
    }
    if (part.kind === "org") {
      out.fill(part.fill, addr, addr + part.size);
      continue;
    }
    if (part.kind === "nops") {
      writeNopFill(out, addr, part.size, part.maxNop);
      continue;
    }
    const loc = locate(asm, part.target);
    const form = part.isLong ? part.long : part.short;
    const slot = branch.slots[0]!;
    slot.reset(SlotKind.Relative);
    branch.form = form;
    branch.prefixes = part.prefixes;
    // Resolved in place when the target is here, else a rel32 field left for a relocation.
    if (!part.isLong || (loc.kind === "section" && loc.section === section && resolvedHere(asm, part))) {
      const target = targetAddress(loc as Extract<Location, { kind: "section" }>, part.addend);
      if (typeof target === "number") slot.value = target;
      else slot.setValue(target);
    } else {
      if (typeof part.addend === "number") slot.value = part.addend;
      else slot.setValue(part.addend);
      slot.symbol = part.target;
    }
    const bad = encode(branch, BigInt(addr), encoded, encodedFixups);
    if (bad) {
      asm.diagnostics.push(error("PV1014", bad.error, asm.file, { start: part.start, end: part.end }));
      continue;
    }
    copy(encoded.buf, 0, encoded.len, out, addr);
    part.encodedAs = form;
    let list = relaxFixups.get(section);
    if (!list) relaxFixups.set(section, (list = new FixupRows(asm.arena)));
    for (let f = 0; f < encodedFixups.count; f++) {
      const addend = addExact(part.addend, encodedFixups.adjust[f]!);
      list.add(part.at + encodedFixups.offset[f]!, k, encodedFixups.size[f]!, encodedFixups.kind[f]!, true, part.target, -1, addend, part.start, part.end, NO_OPERATOR);
    }
  }
  copy(section.buf, from, section.len, out, from + section.partOffsets[section.parts.length]!);
}

/** Copies source[from..to) to target at `at`; a short run by hand (a subarray is an object). */
function copy(source: Uint8Array, from: number, to: number, target: Uint8Array, at: number): void {
  if (to - from > 64) target.set(source.subarray(from, to), at);
  else for (let i = from; i < to; i++) target[at + i - from] = source[i]!;
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

  /** The fixup being resolved: `k` of `fixups`. */
  private fixups!: FixupRows;
  private k = 0;

  private fail(code: string, message: string): void {
    this.asm.diagnostics.push(error(code, message, this.asm.file, this.fixups.span(this.k)));
  }

  resolveAll(fixups: FixupRows): void {
    this.fixups = fixups;
    for (this.k = 0; this.k < fixups.count; this.k++) this.resolve();
  }

  /** Fixup `k` of `fixups`. */
  private resolve(): void {
    const asm = this.asm;
    const symbols = asm.symbols;
    const fixups = this.fixups;
    const k = this.k;
    const plus = fixups.plus(k);
    const addend = fixups.addend(k);
    const section = symbols.section(plus);
    const operator = fixups.relocation(k) & OPERATOR_MASK;
    if (operator !== NO_OPERATOR && operator !== PLT_OPERATOR) return this.resolveOperator(operator);
    // The common case, done with numbers: a label or an undefined symbol plus a constant.
    if (typeof addend === "number" && fixups.minus(k) < 0 && (section || (symbols.value(plus) === undefined && !symbols.alias(plus)))) {
      if (section) this.resolveAgainst(section, section.address(symbols.off(plus), symbols.nvar(plus)), plus, fixups.kind(k), addend);
      else this.relocateByName(plus, fixups.kind(k), addend);
    } else this.resolveExpression(typeof addend === "number" ? BigInt(addend) : addend);
  }

  /** Any fixup: with a subtracted symbol, constants and aliases, in BigInt arithmetic. */
  private resolveExpression(addend: bigint): void {
    const asm = this.asm;
    const fixups = this.fixups;
    const k = this.k;
    const minusId = fixups.minus(k);
    const at = this.section.address(fixups.off(k), fixups.nvar(k));
    let kind = fixups.kind(k);
    let plus: Location | undefined = locate(asm, fixups.plus(k));
    if (minusId >= 0) {
      const minus = locate(asm, minusId);
      if (minus.kind === "abs") addend -= minus.value;
      else if (minus.kind === "undefined") return this.fail("PV1018", `cannot subtract the undefined symbol '${asm.displayName(asm.symbols.name(minusId))}'`);
      else if (plus?.kind === "section" && plus.section === minus.section) {
        addend += addressOf(plus) - addressOf(minus);
        plus = undefined;
      } else if (minus.section === this.section && kind !== "pcrel") {
        // sym - b, with b in this section: a pc-relative field.
        addend += BigInt(at) - addressOf(minus);
        kind = "pcrel";
      } else return this.fail("PV1018", `cannot subtract '${asm.displayName(asm.symbols.name(minusId))}': it is in another section`);
    }
    if (plus?.kind === "abs") {
      addend += plus.value;
      plus = undefined;
    }
    if (plus === undefined) {
      if (kind === "pcrel") return this.fail("PV1018", "a pc-relative field needs a symbol");
      return this.write(addend, kind === "signed");
    }
    if (plus.kind === "section") this.resolveAgainst(plus.section, addressOf(plus), fixups.plus(k), kind, addend);
    else this.relocateByName(plus.symbol, kind, addend + plus.extra);
  }

  /**
   * A field with a relocation operator other than @PLT: always a relocation, against the symbol
   * itself (local ones too) unless as may point it at the section (tc_i386_fix_adjustable).
   */
  private resolveOperator(operator: number): void {
    const asm = this.asm;
    const fixups = this.fixups;
    const k = this.k;
    let addend = BigInt(fixups.addend(k));
    const at = this.section.address(fixups.off(k), fixups.nvar(k));
    const minusId = fixups.minus(k);
    const type = this.operatorType(operator);
    if (typeof type !== "string") return this.fail("PV1020", type.error);
    if (minusId >= 0) {
      const minus = locate(asm, minusId);
      if (minus.kind !== "section" || minus.section !== this.section || fixups.kind(k) === "pcrel")
        return this.fail("PV1018", `cannot subtract '${asm.displayName(asm.symbols.name(minusId))}' from a value with a relocation operator`);
      // The field becomes pc-relative. For these types as's addend is counted from `.` (the
      // statement's start) less the field's size, not from the field (tc_gen_reloc).
      const dot = at - (fixups.relocation(k) >> FIXUP_FIELD_OFFSET_SHIFT);
      addend += subtractsFieldSize(type) ? BigInt(dot - fixups.size(k)) - addressOf(minus) : BigInt(at) - addressOf(minus);
    }
    const plus = fixups.plus(k);
    // as refuses an operator on a symbol with a constant value where the value is known, and
    // on one set later drops the relocation: pvopc refuses both, and symbols set to others.
    if (asm.symbols.value(plus) !== undefined || asm.symbols.alias(plus))
      return this.fail("PV1020", `a relocation operator needs a label or an undefined symbol, but '${asm.displayName(asm.symbols.name(plus))}' is set by .set or =`);
    if (operatorMakesThreadLocal(operator)) {
      if (asm.symbols.type(plus) === "func") return this.fail("PV1020", `accessing function '${asm.displayName(asm.symbols.name(plus))}' as thread-local object`);
      asm.symbols.setType(plus, "tls");
    }
    const loc = locate(asm, plus);
    if (!operatorKeepsSymbol(operator) && loc.kind === "section" && !asm.symbols.external(plus)) {
      this.referencedSections.add(loc.section);
      return this.pushRelocation(type, loc.section.name, addressOf(loc) + addend);
    }
    this.usedSymbols.add(plus);
    this.pushRelocation(type, asm.symbols.name(plus), addend);
  }

  /** How as reads the field: data either way, an instruction's as its encoding has it. */
  private signedness(): FieldSignedness {
    const fixups = this.fixups;
    if (fixups.relocation(this.k) & FIXUP_DATA) return "either";
    return fixups.kind(this.k) === "unsigned" ? "unsigned" : "signed";
  }

  /** The relocation type of the operator's field, or as's reason to refuse it. */
  private operatorType(operator: number): RelocationType | { error: string } {
    const fixups = this.fixups;
    const k = this.k;
    const relocation = fixups.relocation(k);
    const kind = fixups.kind(k);
    const type = operatorRelocation(operator, fixups.size(k), kind === "pcrel", this.signedness());
    if (operator !== GOTPCREL_OPERATOR || !(relocation & FIXUP_RELAXABLE_GOT)) return type;
    return relocation & FIXUP_REX ? "R_X86_64_REX_GOTPCRELX" : "R_X86_64_GOTPCRELX";
  }

  /** The field's symbol (`named`, or what it stands for) is at `address` of `section`. */
  private resolveAgainst(section: SectionState, address: number | bigint, named: SymbolId, kind: FixupKind, addend: number | bigint): void {
    // A global or weak symbol keeps its relocation by name.
    if (this.asm.symbols.external(named)) return this.relocateByName(named, kind, addend);
    const target = addExact(address, addend);
    const at = this.section.address(this.fixups.off(this.k), this.fixups.nvar(this.k));
    if (kind === "pcrel" && section === this.section) return this.write(addExact(target, -at), true);
    // The linker must find the merged entry a pc-relative field, or one with an addend, points
    // into: as keeps such relocations against the label (write.c adjust_reloc_syms,
    // tc_i386_fix_adjustable), which then goes into the symbol table.
    if (section.flags.merge && (kind === "pcrel" || addend != 0 || this.fixups.minus(this.k) >= 0)) {
      this.usedSymbols.add(named);
      return this.relocate(kind, this.asm.symbols.name(named), addend, false);
    }
    this.referencedSections.add(section);
    this.relocate(kind, section.name, target, false);
  }

  /** A global, weak or undefined symbol: relocated by name. */
  private relocateByName(symbol: SymbolId, kind: FixupKind, addend: number | bigint): void {
    const symbols = this.asm.symbols;
    // A numeric label reference with no definition, reported as PV1019.
    if (symbols.temporary(symbol) && !symbols.section(symbol) && symbols.name(symbol).includes("\u0002")) return;
    this.usedSymbols.add(symbol);
    this.relocate(kind, symbols.name(symbol), addend, true);
  }

  private write(value: number | bigint, signed: boolean): void {
    const fixups = this.fixups;
    const k = this.k;
    const size = fixups.size(k);
    const ok = typeof value === "number" ? fitsField(value, size, signed) : fitsBigField(value, size, signed);
    if (!ok) {
      if (fixups.branch(k)) return this.fail("PV1014", `branch target out of range for a rel${size * 8} displacement`);
      return this.fail("PV1017", `value ${BigInt.asIntN(64, BigInt(value))} does not fit in ${size * 8} bits`);
    }
    const at = this.section.address(fixups.off(k), fixups.nvar(k));
    if (typeof value === "number" && size <= 4) {
      for (let i = 0; i < size; i++) this.out[at + i] = (value >>> (8 * i)) & 0xff;
      return;
    }
    let x = BigInt.asUintN(size * 8, BigInt(value));
    for (let i = 0; i < size; i++) {
      this.out[at + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }

  private relocate(kind: FixupKind, symbol: string, addend: number | bigint, external: boolean): void {
    const fixups = this.fixups;
    const k = this.k;
    const size = fixups.size(k);
    const plt = (fixups.relocation(k) & OPERATOR_MASK) === PLT_OPERATOR;
    if (plt && external) {
      const type = operatorRelocation(PLT_OPERATOR, size, kind === "pcrel", this.signedness());
      if (typeof type !== "string") return this.fail("PV1020", type.error);
      return this.pushRelocation(type, symbol, addend);
    }
    // tc-i386.c gives a branch to a global, weak or undefined symbol PLT32 only when its target
    // has no offset (`call f`, not `call f+4`): the field ends the instruction, so the addend is -4.
    const plt32 = fixups.branch(k) && external && Number(addend) === -size;
    let type: RelocationType;
    if (kind === "pcrel") type = size === 8 ? "R_X86_64_PC64" : size === 4 ? (plt32 ? "R_X86_64_PLT32" : "R_X86_64_PC32") : size === 2 ? "R_X86_64_PC16" : "R_X86_64_PC8";
    else type = size === 8 ? "R_X86_64_64" : size === 4 ? (kind === "signed" ? "R_X86_64_32S" : "R_X86_64_32") : size === 2 ? "R_X86_64_16" : "R_X86_64_8";
    // A reference to the GOT symbol itself is relative to the GOT (tc_gen_reloc).
    if (external && symbol === GOT_SYMBOL && type !== "R_X86_64_PLT32" && size >= 4) type = size === 8 ? "R_X86_64_GOTPC64" : "R_X86_64_GOTPC32";
    this.pushRelocation(type, symbol, addend);
  }

  private pushRelocation(type: RelocationType, symbol: string, addend: number | bigint): void {
    const fixups = this.fixups;
    const k = this.k;
    this.relocs.push({ offset: this.section.address(fixups.off(k), fixups.nvar(k)), type, symbol, addend: BigInt.asIntN(64, BigInt(addend)) });
  }
}


/** Whether a value fits a field of `size` bytes: as a signed one, or as gas takes data (signed or unsigned). */
function fitsField(v: number, size: number, signed: boolean): boolean {
  if (size === 8) return true;
  const half = 2 ** (size * 8 - 1);
  return signed ? v >= -half && v < half : v > -2 * half && v < 2 * half;
}

function fitsBigField(value: bigint, size: number, signed: boolean): boolean {
  if (size === 8) return true;
  const v = BigInt.asIntN(64, value);
  const bits = BigInt(size * 8);
  return signed ? v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n) : fitsData(v, size);
}

function symbolTable(asm: Assembler, referencedSections: Set<SectionState>, usedSymbols: Set<SymbolId>, sectionNamed: ReadonlySet<SymbolId>): ImageSymbol[] {
  // as's symbol list: the symbols, with what asm.madeSymbols holds where as made it, then the
  // temporary labels a relocation keeps that as converts when writing the relocations, in
  // relocation order.
  const out: ImageSymbol[] = [];
  const symbols = asm.symbols;
  const push = (id: SymbolId) => {
    const symbol = imageSymbol(asm, id, usedSymbols);
    if (symbol) out.push(symbol);
  };
  const made = asm.madeSymbols;
  let next = 0;
  /** What as made before symbol `id`. */
  const madeBefore = (id: SymbolId) => {
    for (; next < made.length && made[next]!.before <= id; next++) {
      const m = made[next]!;
      if (m.type === "file") out.push({ name: m.name, section: ABS_SECTION, value: 0n, size: 0n, binding: "local", type: "file" });
      else if (m.type === "section") {
        if (referencedSections.has(asm.sections.get(m.name)!)) out.push({ name: m.name, section: m.name, value: 0n, size: 0n, binding: "local", type: "section" });
      } else if (usedSymbols.has(m.id)) push(m.id);
    }
  };
  for (let id = 0; id < symbols.count; id++) {
    madeBefore(id);
    if (sectionNamed.has(id)) continue;
    const common = symbols.common(id);
    if (common) out.push(commonSymbol(asm, id, common));
    else if (!symbols.temporary(id) || symbols.external(id)) push(id);
  }
  madeBefore(symbols.count);
  for (const id of usedSymbols) if (symbols.temporary(id) && !symbols.external(id) && !asm.earlyLabels.has(id)) push(id);
  return out;
}

/** A common symbol: its value is its alignment, by default the size's up to 16 (bfd's elf_swap_symbol_out). */
function commonSymbol(asm: Assembler, id: SymbolId, common: CommonSymbol): ImageSymbol {
  const symbols = asm.symbols;
  const name = symbols.name(id);
  if (symbols.binding(id) === "weak") asm.diagnostics.push(error("PV1013", `symbol '${name}' can not be both weak and common`, asm.file, common.span));
  let alignment = common.alignment;
  if (alignment === 0n) for (alignment = 1n; alignment < common.size && alignment < 16n; ) alignment *= 2n;
  const sym: { -readonly [K in keyof ImageSymbol]: ImageSymbol[K] } = { name, section: COMMON_SECTION, value: alignment, size: common.size, binding: "global", type: "object" };
  const visibility = symbols.visibility(id);
  if (visibility) sym.visibility = visibility;
  return sym;
}

/** Symbol `id` as the Image lists it, or nothing when as leaves it out. */
function imageSymbol(asm: Assembler, id: SymbolId, usedSymbols: Set<SymbolId>): ImageSymbol | undefined {
  const symbols = asm.symbols;
  const name = symbols.name(id);
  const loc = locate(asm, id);
  const defined = loc.kind !== "undefined";
  // as writes every symbol the source names (`.type f, @function` alone makes an undefined f,
  // and an operator makes the GOT symbol), except an undefined weak one nothing uses.
  if (!defined && !usedSymbols.has(id) && symbols.binding(id) === "weak") return undefined;
  // A symbol set to an undefined or common one is left out; relocations name that one (write.c,
  // symbol_equated_reloc_p).
  if (!defined && symbols.alias(id)) return undefined;
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
  // An undefined symbol is global in ELF, whatever `.local` said.
  const binding = defined ? (symbols.binding(id) ?? "local") : symbols.binding(id) === "weak" ? "weak" : "global";
  const sym: { -readonly [K in keyof ImageSymbol]: ImageSymbol[K] } = {
    name,
    section: loc.kind === "section" ? loc.section.name : loc.kind === "abs" ? "*ABS*" : undefined,
    value: loc.kind === "section" ? addressOf(loc) : loc.kind === "abs" ? loc.value : 0n,
    size,
    binding,
    // bfd writes every symbol of a thread-local section as STT_TLS, whatever its .type.
    type: loc.kind === "section" && loc.section.flags.tls ? "tls" : (symbols.type(id) ?? "notype"),
  };
  const visibility = symbols.visibility(id);
  if (visibility) sym.visibility = visibility;
  return sym;
}

function listing(asm: Assembler, data: Map<SectionState, Uint8Array>): ListingLine[] {
  const lines: ListingLine[] = [];
  const log = asm.log;
  for (let k = 0; k < log.count; k++) {
    const at = log.placed(k);
    const section = asm.sectionList[at.section]!;
    const start = section.address(at.off, at.nvar);
    const end = section.address(at.endOff, at.endNvar);
    const bytes = data.get(section)!.subarray(start, end);
    const last = lines[lines.length - 1];
    if (last && last.line === at.line && last.section === section.name && last.offset + last.bytes.length === start) {
      last.bytes = data.get(section)!.subarray(last.offset, end);
      continue;
    }
    lines.push({ line: at.line, section: section.name, offset: start, bytes, source: asm.file.lineText(at.line) });
  }
  return lines;
}

function instructionList(asm: Assembler): AssembledInstruction[] {
  const log = asm.log;
  const out: AssembledInstruction[] = [];
  for (let k = 0; k < log.count; k++) {
    if (!log.isInstruction(k)) continue;
    const at = log.placed(k);
    const section = asm.sectionList[at.section]!;
    const offset = section.address(at.off, at.nvar);
    const span = log.span(k);
    const instruction = log.instruction(k, asm.text, asm.prepared, asm.nameOf);
    if (at.endNvar > at.nvar) {
      // A relaxed branch, in the form it was encoded in.
      const branch = section.parts[at.nvar] as BranchPart;
      out.push({ instruction: branch.encodedAs ? { ...instruction, form: branch.encodedAs } : instruction, section: section.name, offset, length: branch.size, span });
    } else out.push({ instruction, section: section.name, offset, length: at.endOff - at.off, span });
  }
  return out;
}
