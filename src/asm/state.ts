/**
 * The assembler's working state, shared by the statement pass (assembler.ts) and the layout
 * pass (layout.ts). A section holds its fixed bytes contiguously plus a list of variable parts
 * (relaxable branches and alignment padding) that sit between them; a position is a byte offset
 * into the fixed bytes plus the number of variable parts before it, so that addresses can be
 * recomputed cheaply while branches grow.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Prefixes } from "../x86/instruction.js";
import type { Form } from "../x86/table.js";
import type { FixupKind } from "../x86/encode.js";
import type { Value } from "../x86/expr.js";
import type { SectionFlags, SymbolBinding, SymbolType, SymbolVisibility } from "../image/image.js";
import { hashCapacity, INITIAL_ROWS, IntRows, ValueColumn, type ArrayArena } from "./rows.js";

export interface BranchPart {
  readonly kind: "branch";
  /** Offset in the section's fixed bytes where the branch sits. */
  readonly at: number;
  /** The forms layout chooses from: `short` is the rel8 form, `long` the rel32 form. */
  readonly short: Form;
  readonly long: Form;
  readonly prefixes: Prefixes;
  readonly target: SymbolId;
  /** A number when that is exact. */
  readonly addend: number | bigint;
  /** The statement, for diagnostics. */
  readonly start: number;
  readonly end: number;
  readonly shortSize: number;
  readonly longSize: number;
  /** A branch to `target@PLT`: as relocates it when the target is global, even here. */
  readonly viaPlt: boolean;
  size: number;
  /** True once the branch must use the rel32 form. */
  isLong: boolean;
  /** The form the branch was encoded in, once it was. */
  encodedAs: Form | undefined;
}

export interface AlignPart {
  readonly kind: "align";
  readonly at: number;
  readonly alignment: number;
  /** Skip the alignment when it needs more than this many bytes (0: no limit). */
  readonly max: number;
  /** The fill byte, or "nop" for NOP fill in code. */
  readonly fill: number | "nop";
  size: number;
}

/** `.org`: fill up to a fixed offset of the section, or to a label of this chunk plus a constant. */
export interface OrgPart {
  readonly kind: "org";
  readonly at: number;
  /** The label's position in the chunk (off, nvar), or undefined for an offset from the section's start. */
  readonly label: { readonly off: number; readonly nvar: number } | undefined;
  readonly addend: number;
  readonly fill: number;
  /** The expression, for the diagnostic when the target lies behind. */
  readonly start: number;
  readonly end: number;
  size: number;
  /** Set by layout when the target lies before the directive. */
  backwards: boolean;
}

/**
 * `.nops size[, max]`: NOP padding of a known size, which as nevertheless keeps in a fragment of
 * its own and counts as empty until the first relaxation pass (read.c s_nops, rs_space_nop).
 */
export interface NopsPart {
  readonly kind: "nops";
  readonly at: number;
  readonly count: number;
  /** The longest NOP to use. */
  readonly maxNop: number;
  size: number;
}

export type VariablePart = BranchPart | AlignPart | OrgPart | NopsPart;

const enum FixupField {
  Off,
  Nvar,
  Size,
  /** Index in FIXUP_KINDS. */
  Kind,
  Branch,
  Plus,
  Minus,
  Start,
  End,
  /** The relocation operator and the FIXUP_ flags. */
  Relocation,
  Width,
}

/** Flags beside a fixup's relocation operator (which takes the low byte). */
export const OPERATOR_MASK = 0xff;
/** A data directive's field, which as takes as signed or unsigned alike. */
export const FIXUP_DATA = 1 << 8;
/** An @GOTPCREL field the linker may relax: as makes it R_X86_64_GOTPCRELX. */
export const FIXUP_RELAXABLE_GOT = 1 << 9;
/** ... R_X86_64_REX_GOTPCRELX, the instruction having a REX prefix. */
export const FIXUP_REX = 1 << 10;
/** A memory operand's displacement. */
export const FIXUP_DISPLACEMENT = 1 << 11;
/** The field's offset in its instruction (where `.` is), shifted by this much. */
export const FIXUP_FIELD_OFFSET_SHIFT = 12;

const FIXUP_KINDS: readonly FixupKind[] = ["pcrel", "signed", "unsigned"];

/** A field's size in bytes; 0 for a relocation that marks an instruction (`call *x@TLSCALL(%rax)`). */
export type FieldSize = 0 | 1 | 2 | 4 | 8;

/**
 * Fields left for layout to fill or relocate (an encoder's or a data directive's fixups,
 * placed), in order, as rows: there are tens of thousands in a large file. The addend is a
 * number where that is exact, else kept as a BigInt aside.
 */
export class FixupRows {
  private readonly rows: IntRows;
  private readonly addends: ValueColumn;

  constructor(arena: ArrayArena) {
    this.rows = new IntRows(FixupField.Width, arena);
    this.addends = new ValueColumn(arena);
  }

  get count(): number {
    return this.rows.count;
  }

  add(off: number, nvar: number, size: FieldSize, kind: FixupKind, branch: boolean, plus: SymbolId, minus: SymbolId, addend: number | bigint, start: number, end: number, relocation: number): void {
    const rows = this.rows;
    const k = rows.add();
    rows.set(k, FixupField.Off, off);
    rows.set(k, FixupField.Nvar, nvar);
    rows.set(k, FixupField.Size, size);
    rows.set(k, FixupField.Kind, FIXUP_KINDS.indexOf(kind));
    rows.set(k, FixupField.Branch, branch ? 1 : 0);
    rows.set(k, FixupField.Plus, plus);
    rows.set(k, FixupField.Minus, minus);
    rows.set(k, FixupField.Start, start);
    rows.set(k, FixupField.End, end);
    rows.set(k, FixupField.Relocation, relocation);
    this.addends.set(k, addend);
  }

  off(k: number): number {
    return this.rows.get(k, FixupField.Off);
  }

  nvar(k: number): number {
    return this.rows.get(k, FixupField.Nvar);
  }

  size(k: number): FieldSize {
    return this.rows.get(k, FixupField.Size) as FieldSize;
  }

  kind(k: number): FixupKind {
    return FIXUP_KINDS[this.rows.get(k, FixupField.Kind)]!;
  }

  /** A branch or call (relocated with PLT32 when not resolved locally). */
  branch(k: number): boolean {
    return this.rows.get(k, FixupField.Branch) === 1;
  }

  plus(k: number): SymbolId {
    return this.rows.get(k, FixupField.Plus);
  }

  /** -1 when nothing is subtracted. */
  minus(k: number): SymbolId {
    return this.rows.get(k, FixupField.Minus);
  }

  /** The relocation operator (reloc-operators.ts) and FIXUP_ flags. */
  relocation(k: number): number {
    return this.rows.get(k, FixupField.Relocation);
  }

  /** The addend: a number when that is exact. */
  addend(k: number): number | bigint {
    return this.addends.get(k);
  }

  /** The operand or data item the field comes from, for diagnostics. */
  span(k: number): Span {
    return { start: this.rows.get(k, FixupField.Start), end: this.rows.get(k, FixupField.End) };
  }

  /** Appends every fixup of `from`, moved by `off` bytes and `nvar` variable parts (a subsection joining its section). */
  addAllShifted(from: FixupRows, off: number, nvar: number): void {
    for (let k = 0; k < from.count; k++) this.addMoved(from, k, off, from.nvar(k) + nvar, 0);
  }

  /**
   * Adds fixup k of `from` moved: by `off` in the section, at variable part `nvar`, by `at` in
   * the text (a prepared statement's fixups are kept as if it stood at the start of both).
   */
  addMoved(from: FixupRows, k: number, off: number, nvar: number, at: number): void {
    const source = from.rows;
    const rows = this.rows;
    const m = rows.add();
    rows.set(m, FixupField.Off, source.get(k, FixupField.Off) + off);
    rows.set(m, FixupField.Nvar, nvar);
    rows.set(m, FixupField.Size, source.get(k, FixupField.Size));
    rows.set(m, FixupField.Kind, source.get(k, FixupField.Kind));
    rows.set(m, FixupField.Branch, source.get(k, FixupField.Branch));
    rows.set(m, FixupField.Plus, source.get(k, FixupField.Plus));
    rows.set(m, FixupField.Minus, source.get(k, FixupField.Minus));
    rows.set(m, FixupField.Start, source.get(k, FixupField.Start) + at);
    rows.set(m, FixupField.End, source.get(k, FixupField.End) + at);
    rows.set(m, FixupField.Relocation, source.get(k, FixupField.Relocation));
    this.addends.set(m, from.addends.get(k));
  }
}

/**
 * A section's bytes, or one of its numbered subsections (`.text 1`), a chunk of its own until
 * layout appends the subsections to subsection 0, the section itself, in order of their numbers.
 */
export class SectionState {
  buf: Uint8Array;
  len = 0;
  align = 1;
  readonly parts: VariablePart[] = [];
  readonly fixups: FixupRows;
  /** Sum of the sizes of parts[0..k), filled by layout. */
  partOffsets: number[] = [0];
  /** The numbered subsections (above 0) of a section, by number. */
  readonly subsections = new Map<number, SectionState>();

  constructor(
    readonly name: string,
    public kind: "progbits" | "nobits" | "note",
    public flags: SectionFlags,
    readonly order: number,
    public entsize: number,
    private readonly arena: ArrayArena,
    /** For a subsection, its section (subsection 0); a section is its own. */
    home?: SectionState,
  ) {
    this.home = home ?? this;
    this.buf = arena.uint8(INITIAL_ROWS);
    this.fixups = new FixupRows(arena);
  }

  readonly home: SectionState;

  /** Appends subsection `chunk` (its bytes, parts and fixups) to this section; where its first byte went. */
  join(chunk: SectionState): { off: number; nvar: number } {
    // as ends each subsection with an alignment to 1 (subsegs.c subsegs_finish_section), which
    // starts a new relaxation region (layout.ts).
    this.parts.push({ kind: "align", at: this.len, alignment: 1, max: 0, fill: this.flags.exec ? "nop" : 0, size: 0 });
    const base = { off: this.len, nvar: this.parts.length };
    this.append(chunk.buf.subarray(0, chunk.len));
    for (const part of chunk.parts) {
      if (part.kind === "org" && part.label) this.parts.push({ ...part, at: part.at + base.off, label: { off: part.label.off + base.off, nvar: part.label.nvar + base.nvar } });
      else this.parts.push({ ...part, at: part.at + base.off });
    }
    this.fixups.addAllShifted(chunk.fixups, base.off, base.nvar);
    this.align = Math.max(this.align, chunk.align);
    return base;
  }

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    this.buf = this.arena.grow(this.buf, size);
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  fill(value: number, count: number): void {
    this.reserve(count);
    this.buf.fill(value, this.len, this.len + count);
    this.len += count;
  }

  /** Address of a position once layout has filled partOffsets. */
  address(off: number, nvar: number): number {
    return off + this.partOffsets[nvar]!;
  }

  get size(): number {
    return this.len + this.partOffsets[this.parts.length]!;
  }
}

/** A symbol is its index in the SymbolTable, in order of first mention. */
export type SymbolId = number;

/** `.set x, label + 4`: resolved when layout is known. */
export interface SymbolAlias {
  readonly plus: string;
  readonly addend: bigint;
}

/** `.comm x, size[, alignment]`: an ELF common symbol (SHN_COMMON). */
export interface CommonSymbol {
  readonly size: bigint;
  /** The alignment in bytes, st_value; 0 for as's default. */
  readonly alignment: bigint;
  /** The `.comm`, for diagnostics about the symbol. */
  readonly span: Span;
}

/** `.size x, expr`, folded where the directive stood and resolved after layout. */
export interface SymbolSize {
  readonly value: Value;
  readonly span: Span;
}

/** A symbol's fields; a new row is all zeros, so 0 means "not known" in each. */
const enum Field {
  /** The section's `order` plus 1, or 0 when the symbol is not a label. */
  Section,
  Off,
  Nvar,
  /** Where it was defined, plus 1 (0 when it is not), for "already defined" notes. */
  DefinedStart,
  DefinedEnd,
  /** 1 for assembler-internal names (`.L...`, numeric local labels, `.`), which never reach the symbol table. */
  Temporary,
  /** Index in BINDINGS, TYPES, VISIBILITIES; 0 when never set. */
  Binding,
  Type,
  Visibility,
  /** 1 once `.set` or `=` gave the symbol a value or made it an alias. */
  Assigned,
  /** The name's hash, kept so that growing the table does not read the names again. */
  Hash,
  /** The name: text[NameStart..NameStart+NameLength), or made name -(NameStart + 1). */
  NameStart,
  NameLength,
  Width,
}

const BINDINGS: readonly (SymbolBinding | undefined)[] = [undefined, "local", "global", "weak"];
const TYPES: readonly (SymbolType | undefined)[] = [undefined, "notype", "func", "object", "section", "file", "tls"];
const VISIBILITIES: readonly (SymbolVisibility | undefined)[] = [undefined, "default", "internal", "hidden", "protected"];

/**
 * The symbols: names found through a hash table of their own (open addressing, FNV-1a), and
 * everything known about them in columns. A large file defines a hundred thousand labels; as
 * objects in a Map they cost the garbage collector more than everything else the assembler
 * keeps, as rows they are a few typed arrays. A name is looked up and kept as a range of the
 * text it was found in, so that defining or mentioning a label allocates nothing; the name
 * becomes a string only when something asks for it. Values, aliases and sizes, which few
 * symbols have, are in maps.
 */
export class SymbolTable {
  /** The hash table: two integers a slot, the name's hash (0: empty slot) and the symbol id. */
  private slots: Int32Array;
  /** Names made by the assembler rather than found in the text (see nameStart). */
  private readonly madeNames: string[] = [];
  /** Names already asked for as strings. */
  private readonly names = new Map<SymbolId, string>();
  private readonly fields: IntRows;
  /** Absolute values (`.set x, 4`). */
  private readonly values = new Map<SymbolId, bigint>();
  private readonly aliases = new Map<SymbolId, SymbolAlias>();
  private readonly sizes = new Map<SymbolId, SymbolSize>();
  private readonly commons = new Map<SymbolId, CommonSymbol>();

  constructor(
    /** The source text, where most names are. */
    private readonly text: string,
    /** Sections by `order`, as the assembler creates them. */
    private readonly sections: readonly SectionState[],
    /** How many symbols to make room for before the table grows. */
    expected: number,
    private readonly arena: ArrayArena,
  ) {
    this.fields = new IntRows(Field.Width, arena);
    this.slots = arena.int32(SLOT * hashCapacity(expected));
  }

  /** Number of symbols; their ids are 0 to count - 1. */
  get count(): number {
    return this.fields.count;
  }

  /** The symbol named source[start..end), or -1. */
  find(source: string, start: number, end: number): SymbolId {
    const slot = this.probe(source, start, end, hashRange(source, start, end));
    return this.slots[slot] === 0 ? -1 : this.slots[slot + 1]!;
  }

  /**
   * The symbol named source[start..end), made (with nothing known about it) on first mention.
   * `source` is the text or any other string (a name the assembler makes up).
   */
  intern(source: string, start: number, end: number, temporary: boolean): SymbolId {
    const hash = hashRange(source, start, end);
    const slot = this.probe(source, start, end, hash);
    if (this.slots[slot] !== 0) return this.slots[slot + 1]!;
    const id = this.fields.add();
    let nameStart = start;
    if (source !== this.text) {
      this.madeNames.push(source.slice(start, end));
      nameStart = -this.madeNames.length;
    }
    if (temporary) this.fields.set(id, Field.Temporary, 1);
    this.fields.set(id, Field.Hash, hash);
    this.fields.set(id, Field.NameStart, nameStart);
    this.fields.set(id, Field.NameLength, end - start);
    this.fill(slot, id);
    if (this.fields.count * 4 > (this.slots.length / SLOT) * 3) this.rehash((this.slots.length / SLOT) * 2);
    return id;
  }

  /** The slot (its index in `slots`) that holds the name source[start..end), or the empty one where it would go. */
  private probe(source: string, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = slots.length / SLOT - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = SLOT * slot;
      const h = slots[at]!;
      if (h === 0) return at;
      const id = slots[at + 1]!;
      if (h === hash && this.fields.get(id, Field.NameLength) === length) {
        // A name in the text is at nameStart >= 0; made name k is at -(k + 1).
        const nameStart = this.fields.get(id, Field.NameStart);
        const name = nameStart >= 0 ? this.text : this.madeNames[-nameStart - 1]!;
        const from = nameStart >= 0 ? nameStart : 0;
        let i = 0;
        while (i < length && name.charCodeAt(from + i) === source.charCodeAt(start + i)) i++;
        if (i === length) return at;
      }
    }
  }

  /** Puts symbol `id` in the empty slot at `at`. */
  private fill(at: number, id: SymbolId): void {
    this.slots[at] = this.fields.get(id, Field.Hash);
    this.slots[at + 1] = id;
  }

  name(id: SymbolId): string {
    let name = this.names.get(id);
    if (name === undefined) {
      const nameStart = this.fields.get(id, Field.NameStart);
      name = nameStart < 0 ? this.madeNames[-nameStart - 1]! : this.text.slice(nameStart, nameStart + this.fields.get(id, Field.NameLength));
      this.names.set(id, name);
    }
    return name;
  }

  temporary(id: SymbolId): boolean {
    return this.fields.get(id, Field.Temporary) === 1;
  }

  /** A label's section, or undefined when the symbol is not a label. */
  section(id: SymbolId): SectionState | undefined {
    const order = this.fields.get(id, Field.Section) - 1;
    return order < 0 ? undefined : this.sections[order];
  }

  /** A label's position in its section (see SectionState). */
  off(id: SymbolId): number {
    return this.fields.get(id, Field.Off);
  }

  nvar(id: SymbolId): number {
    return this.fields.get(id, Field.Nvar);
  }

  /** Makes the symbol a label at a position of a section. */
  place(id: SymbolId, section: SectionState, off: number, nvar: number): void {
    this.fields.set(id, Field.Section, section.order + 1);
    this.fields.set(id, Field.Off, off);
    this.fields.set(id, Field.Nvar, nvar);
  }

  /**
   * Moves the labels of each subsection in `moves` (by `order`) to where layout appended it to
   * its section.
   */
  moveLabels(moves: ReadonlyMap<number, { readonly section: SectionState; readonly off: number; readonly nvar: number }>): void {
    const fields = this.fields;
    for (let id = 0; id < fields.count; id++) {
      const move = moves.get(fields.get(id, Field.Section) - 1);
      if (move) this.place(id, move.section, fields.get(id, Field.Off) + move.off, fields.get(id, Field.Nvar) + move.nvar);
    }
  }

  /** Whether the symbol is defined: a label, a constant, an alias or a common symbol. */
  defined(id: SymbolId): boolean {
    return this.fields.get(id, Field.Section) !== 0 || this.fields.get(id, Field.Assigned) === 1 || this.commons.has(id);
  }

  common(id: SymbolId): CommonSymbol | undefined {
    return this.commons.get(id);
  }

  setCommon(id: SymbolId, common: CommonSymbol): void {
    this.commons.set(id, common);
  }

  /** Where the symbol was defined, or undefined. */
  definedAt(id: SymbolId): Span | undefined {
    const start = this.fields.get(id, Field.DefinedStart) - 1;
    return start < 0 ? undefined : { start, end: this.fields.get(id, Field.DefinedEnd) - 1 };
  }

  setDefinedAt(id: SymbolId, start: number, end: number): void {
    this.fields.set(id, Field.DefinedStart, start + 1);
    this.fields.set(id, Field.DefinedEnd, end + 1);
  }

  value(id: SymbolId): bigint | undefined {
    return this.fields.get(id, Field.Assigned) === 0 ? undefined : this.values.get(id);
  }

  alias(id: SymbolId): SymbolAlias | undefined {
    return this.fields.get(id, Field.Assigned) === 0 ? undefined : this.aliases.get(id);
  }

  /** Makes the symbol a constant or an alias of another symbol (and not the other). */
  assign(id: SymbolId, value: bigint | SymbolAlias): void {
    this.fields.set(id, Field.Assigned, 1);
    if (typeof value === "bigint") {
      this.values.set(id, value);
      this.aliases.delete(id);
    } else {
      this.aliases.set(id, value);
      this.values.delete(id);
    }
  }

  size(id: SymbolId): SymbolSize | undefined {
    return this.sizes.get(id);
  }

  setSize(id: SymbolId, size: SymbolSize): void {
    this.sizes.set(id, size);
  }

  binding(id: SymbolId): SymbolBinding | undefined {
    return BINDINGS[this.fields.get(id, Field.Binding)];
  }

  setBinding(id: SymbolId, binding: SymbolBinding): void {
    this.fields.set(id, Field.Binding, BINDINGS.indexOf(binding));
  }

  type(id: SymbolId): SymbolType | undefined {
    return TYPES[this.fields.get(id, Field.Type)];
  }

  setType(id: SymbolId, type: SymbolType): void {
    this.fields.set(id, Field.Type, TYPES.indexOf(type));
  }

  visibility(id: SymbolId): SymbolVisibility | undefined {
    return VISIBILITIES[this.fields.get(id, Field.Visibility)];
  }

  setVisibility(id: SymbolId, visibility: SymbolVisibility): void {
    this.fields.set(id, Field.Visibility, VISIBILITIES.indexOf(visibility));
  }

  /** Global or weak: relocated by name, never resolved in place. */
  external(id: SymbolId): boolean {
    const binding = this.fields.get(id, Field.Binding);
    return binding === 2 || binding === 3;
  }

  private rehash(capacity: number): void {
    this.arena.release(this.slots);
    this.slots = this.arena.int32(SLOT * capacity);
    const mask = capacity - 1;
    for (let id = 0; id < this.fields.count; id++) {
      let slot = this.fields.get(id, Field.Hash) & mask;
      while (this.slots[SLOT * slot] !== 0) slot = (slot + 1) & mask;
      this.fill(SLOT * slot, id);
    }
  }
}

/** Integers per hash table slot. */
const SLOT = 2;

/** a + b, as numbers while that is exact (values and addends are numbers where they can be). */
export function addExact(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  return BigInt(a) + BigInt(b);
}

/**
 * A hash of text[start..end), never 0 (0 marks an empty hash table slot): FNV-1a-like, over two
 * UTF-16 units at a time (hashing is a good part of looking up a name or a statement).
 */
export function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  let i = start;
  for (; i + 1 < end; i += 2) h = Math.imul(h ^ (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)), 0x01000193);
  if (i < end) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) | 1;
}
