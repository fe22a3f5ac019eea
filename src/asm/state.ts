/**
 * The assembler's working state, shared by the statement pass (assembler.ts) and the layout
 * pass (layout.ts). A section holds its fixed bytes contiguously plus a list of variable parts
 * (relaxable branches and alignment padding) that sit between them; a position is a byte offset
 * into the fixed bytes plus the number of variable parts before it, so that addresses can be
 * recomputed cheaply while branches grow.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Instruction } from "../x86/instruction.js";
import type { FixupKind } from "../x86/encode.js";
import type { Value } from "../x86/expr.js";
import type { SectionFlags, SymbolBinding, SymbolType, SymbolVisibility } from "../image/image.js";
import { IntRows } from "./rows.js";

export interface BranchPart {
  readonly kind: "branch";
  /** Offset in the section's fixed bytes where the branch sits. */
  readonly at: number;
  /** Encodings chosen after layout; `short` is the rel8 form, `long` the rel32 form. */
  readonly short: Instruction;
  readonly long: Instruction;
  readonly target: SymbolId;
  readonly addend: bigint;
  readonly span: Span;
  shortSize: number;
  longSize: number;
  size: number;
  /** True once the branch must use the rel32 form. */
  isLong: boolean;
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

export type VariablePart = BranchPart | AlignPart;

/** A field left for layout to fill or relocate: an encoder's or a data directive's fixup, placed. */
export interface PendingFixup {
  readonly off: number;
  readonly nvar: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly kind: FixupKind;
  /** A branch or call (relocated with PLT32 when not resolved locally). */
  readonly branch: boolean;
  readonly plus: SymbolId;
  /** -1 when nothing is subtracted. */
  readonly minus: SymbolId;
  readonly addend: bigint;
  /** The operand or data item the field comes from, for diagnostics. */
  readonly start: number;
  readonly end: number;
}

export class SectionState {
  buf = new Uint8Array(256);
  len = 0;
  align = 1;
  readonly parts: VariablePart[] = [];
  readonly fixups: PendingFixup[] = [];
  /** Sum of the sizes of parts[0..k), filled by layout. */
  partOffsets: number[] = [0];

  constructor(
    readonly name: string,
    public kind: "progbits" | "nobits" | "note",
    public flags: SectionFlags,
    readonly order: number,
    public entsize = 0,
  ) {}

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends bytes[from..from+length). */
  append(bytes: Uint8Array, from = 0, length = bytes.length - from): void {
    this.reserve(length);
    const buf = this.buf;
    const at = this.len;
    // An instruction is a few bytes: a loop beats setting a subarray, which allocates a view.
    if (length <= 16) for (let i = 0; i < length; i++) buf[at + i] = bytes[from + i]!;
    else buf.set(bytes.subarray(from, from + length), at);
    this.len = at + length;
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

/** `.size x, expr`, folded where the directive stood and resolved after layout. */
export interface SymbolSize {
  readonly value: Value;
  readonly span: Span;
}

const enum Field {
  /** The section's `order`, or -1 when the symbol is not a label. */
  Section,
  Off,
  Nvar,
  /** Where it was defined (-1 when it is not), for "already defined" notes. */
  DefinedStart,
  DefinedEnd,
  /** 1 for assembler-internal names (`.L...`, numeric local labels, `.`), which never reach the symbol table. */
  Temporary,
  /** Index in BINDINGS, TYPES, VISIBILITIES; 0 when never set. */
  Binding,
  Type,
  Visibility,
  /** The name's hash, kept so that growing the table does not read the names again. */
  Hash,
  /** The name: text[NameStart..NameStart+NameLength), or made name -(NameStart + 1). */
  NameStart,
  NameLength,
  Width,
}

const BINDINGS: readonly (SymbolBinding | undefined)[] = [undefined, "local", "global", "weak"];
const TYPES: readonly (SymbolType | undefined)[] = [undefined, "notype", "func", "object", "section", "file"];
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
  /**
   * The hash table: SLOT integers a slot, the name's hash (0: empty slot), the symbol id, and
   * where the name is (see nameStart) and its length, side by side so that a probe reads one
   * cache line.
   */
  private slots: Int32Array;
  /** Names made by the assembler rather than found in the text (see nameStart). */
  private readonly madeNames: string[] = [];
  /** Names already asked for as strings. */
  private readonly names: (string | undefined)[] = [];
  private readonly fields = new IntRows(Field.Width);
  /** Absolute values (`.set x, 4`). */
  private readonly values = new Map<SymbolId, bigint>();
  private readonly aliases = new Map<SymbolId, SymbolAlias>();
  private readonly sizes = new Map<SymbolId, SymbolSize>();

  constructor(
    /** The source text, where most names are. */
    private readonly text: string,
    /** Sections by `order`, as the assembler creates them. */
    private readonly sections: readonly SectionState[],
    /** How many symbols to make room for before the table grows. */
    expected: number,
  ) {
    let capacity = 1024;
    while (capacity < 2 * expected) capacity *= 2;
    this.slots = new Int32Array(SLOT * capacity);
  }

  /** Number of symbols; their ids are 0 to count - 1. */
  get count(): number {
    return this.names.length;
  }

  /** The symbol named source[start..end), or -1. */
  find(source: string, start: number, end: number): SymbolId {
    return this.lookup(source, start, end, hashRange(source, start, end));
  }

  /**
   * The symbol named source[start..end), made (with nothing known about it) on first mention.
   * `source` is the text or any other string (a name the assembler makes up).
   */
  intern(source: string, start: number, end: number, temporary: boolean): SymbolId {
    const hash = hashRange(source, start, end);
    const found = this.lookup(source, start, end, hash);
    if (found >= 0) return found;
    const id = this.fields.add();
    this.names.push(undefined);
    let nameStart = start;
    if (source !== this.text) {
      this.madeNames.push(source.slice(start, end));
      nameStart = -this.madeNames.length;
    }
    this.fields.set(id, Field.Section, -1);
    this.fields.set(id, Field.DefinedStart, -1);
    this.fields.set(id, Field.DefinedEnd, -1);
    this.fields.set(id, Field.Temporary, temporary ? 1 : 0);
    this.fields.set(id, Field.Hash, hash);
    this.fields.set(id, Field.NameStart, nameStart);
    this.fields.set(id, Field.NameLength, end - start);
    if (this.names.length * 2 > this.slots.length / SLOT) this.rehash(this.slots.length / SLOT * 2);
    else this.insert(id);
    return id;
  }

  private lookup(source: string, start: number, end: number, hash: number): SymbolId {
    const slots = this.slots;
    const mask = slots.length / SLOT - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = SLOT * slot;
      const h = slots[at]!;
      if (h === 0) return -1;
      if (h === hash && slots[at + 3] === length) {
        // A name in the text is at nameStart >= 0; made name k is at -(k + 1).
        const nameStart = slots[at + 2]!;
        const name = nameStart >= 0 ? this.text : this.madeNames[-nameStart - 1]!;
        const from = nameStart >= 0 ? nameStart : 0;
        let i = 0;
        while (i < length && name.charCodeAt(from + i) === source.charCodeAt(start + i)) i++;
        if (i === length) return slots[at + 1]!;
      }
    }
  }

  name(id: SymbolId): string {
    let name = this.names[id];
    if (name === undefined) {
      const nameStart = this.fields.get(id, Field.NameStart);
      name = nameStart < 0 ? this.madeNames[-nameStart - 1]! : this.text.slice(nameStart, nameStart + this.fields.get(id, Field.NameLength));
      this.names[id] = name;
    }
    return name;
  }

  temporary(id: SymbolId): boolean {
    return this.fields.get(id, Field.Temporary) === 1;
  }

  /** A label's section, or undefined when the symbol is not a label. */
  section(id: SymbolId): SectionState | undefined {
    const order = this.fields.get(id, Field.Section);
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
    this.fields.set(id, Field.Section, section.order);
    this.fields.set(id, Field.Off, off);
    this.fields.set(id, Field.Nvar, nvar);
  }

  /** Where the symbol was defined, or undefined. */
  definedAt(id: SymbolId): Span | undefined {
    const start = this.fields.get(id, Field.DefinedStart);
    return start < 0 ? undefined : { start, end: this.fields.get(id, Field.DefinedEnd) };
  }

  setDefinedAt(id: SymbolId, span: Span): void {
    this.fields.set(id, Field.DefinedStart, span.start);
    this.fields.set(id, Field.DefinedEnd, span.end);
  }

  value(id: SymbolId): bigint | undefined {
    return this.values.get(id);
  }

  alias(id: SymbolId): SymbolAlias | undefined {
    return this.aliases.get(id);
  }

  /** Makes the symbol a constant or an alias of another symbol (and not the other). */
  assign(id: SymbolId, value: bigint | SymbolAlias): void {
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

  private insert(id: SymbolId): void {
    const slots = this.slots;
    const mask = slots.length / SLOT - 1;
    const hash = this.fields.get(id, Field.Hash);
    let slot = hash & mask;
    while (slots[SLOT * slot] !== 0) slot = (slot + 1) & mask;
    slots[SLOT * slot] = hash;
    slots[SLOT * slot + 1] = id;
    slots[SLOT * slot + 2] = this.fields.get(id, Field.NameStart);
    slots[SLOT * slot + 3] = this.fields.get(id, Field.NameLength);
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(SLOT * capacity);
    for (let id = 0; id < this.names.length; id++) this.insert(id);
  }
}

/** Integers per hash table slot. */
const SLOT = 4;

/** FNV-1a over the UTF-16 units of text[start..end), never 0 (0 marks an empty slot). */
function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 1;
}
