/**
 * Instruction statements assembled once and emitted wherever the same text comes again: a large
 * file repeats many of its instructions word for word (`pushq %rbp`, `movq %rsp, %rbp`,
 * `xorl %eax, %eax`), and emitting a prepared statement is a fraction of parsing, matching and
 * encoding it. A prepared statement is kept as integers: its bytes in one arena, its fixups in
 * rows, its form and what matching worked out about its operands (symbols, folded values), the
 * latter also for the instruction list (see StatementLog).
 *
 * Only statements whose result does not depend on where they stand are found again by their
 * text (no `.`, no numeric label, no symbol with a value: the assembler says so, and forgets
 * them all when a symbol gets a value); the others are prepared each time.
 */
import { MAX_OPERANDS, NO_PREFIXES, type FixupKind } from "../x86/encode.js";
import type { Prefixes } from "../x86/instruction.js";
import { FORMS, type Form } from "../x86/table.js";
import { hashCapacity, INITIAL_ROWS, IntRows, ValueColumn, type ArrayArena } from "./rows.js";
import { FixupRows, hashRange, type FieldSize } from "./state.js";

const enum Field {
  /** The form id; -1 for prefix words alone (bytes, not an instruction). */
  Form,
  /** For a relaxable branch, the rel32 form id, else -1. */
  LongForm,
  /** A relaxable branch's encoded lengths in either form. */
  ShortSize,
  LongSize,
  /** 1 for a relaxable branch to `sym@PLT`. */
  ViaPlt,
  /** The bytes, in `bytes`. */
  BytesAt,
  BytesLength,
  /** Its fixups, rows of `fixups`. */
  FirstFixup,
  FixupCount,
  /** Then per operand: its symbol and the symbol it subtracts, plus 1 (0: none). */
  Operands,
}

const WIDTH = Field.Operands + 2 * MAX_OPERANDS;

/** Operand data as a statement gets it from matching: the slots of a ParsedInstruction fit. */
export interface FoldedOperand {
  /** Whether matching worked the value out (from a symbol or an expression). */
  readonly folded: boolean;
  readonly symbol: number;
  readonly minus: number;
  readonly value: number;
  readonly wide: bigint | undefined;
}

export class PreparedStatements {
  private readonly rows: IntRows;
  /** MAX_OPERANDS operand values per statement (see OperandSlot.value). */
  private readonly values: ValueColumn;
  private readonly prefixes = new Map<number, Prefixes>();
  /** The statements' fixups, as if each statement stood at the start of the text and section. */
  readonly fixups: FixupRows;
  private bytes: Uint8Array;
  private bytesLength = 0;
  /** Statements found by their text: two integers a slot, the text's hash (0: empty) and the statement. */
  private slots: Int32Array;
  private known = 0;
  /** Where each statement's text is (start, length), for comparing. */
  private readonly keys: IntRows;

  constructor(
    private readonly text: string,
    /** How many different statements to make room for before the table grows. */
    expected: number,
    private readonly arena: ArrayArena,
  ) {
    this.rows = new IntRows(WIDTH, arena);
    this.values = new ValueColumn(arena);
    this.fixups = new FixupRows(arena);
    this.bytes = arena.uint8(INITIAL_ROWS * 4);
    this.keys = new IntRows(2, arena);
    this.slots = arena.int32(2 * hashCapacity(expected));
  }

  /** The statement prepared from the same text as text[start..end), or -1. */
  find(start: number, end: number): number {
    const hash = hashRange(this.text, start, end);
    const slot = this.probe(start, end, hash);
    this.soughtHash = hash;
    this.soughtSlot = slot;
    this.soughtStart = start;
    this.soughtLength = end - start;
    return this.slots[slot] === 0 ? -1 : this.slots[slot + 1]!;
  }

  /** What `find` looked for last (its hash, where the text is), and the slot where it would go. */
  private soughtHash = 0;
  private soughtSlot = 0;
  private soughtStart = 0;
  private soughtLength = 0;

  /** Makes statement `k`, prepared from the text `find` did not find just before, one that it finds. */
  remember(k: number): void {
    const slot = this.soughtSlot;
    this.slots[slot] = this.soughtHash;
    this.slots[slot + 1] = k;
    this.keys.set(k, 0, this.soughtStart);
    this.keys.set(k, 1, this.soughtLength);
    if (++this.known * 4 > (this.slots.length / 2) * 3) this.grow();
  }

  /** Forgets every statement's text (their results stay, for the statements already emitted). */
  forgetAll(): void {
    this.slots.fill(0);
    this.known = 0;
  }

  /**
   * Adds a statement: its form (undefined for prefix words alone), the rel32 form and lengths of
   * a relaxable branch, its prefixes, operands and encoding with the fixups.
   */
  add(form: Form | undefined, branch: { long: Form; shortSize: number; longSize: number; viaPlt: boolean } | undefined, prefixes: Prefixes, operands: readonly FoldedOperand[], count: number): number {
    const rows = this.rows;
    const k = rows.add();
    this.keys.add();
    rows.set(k, Field.Form, form ? form.id : -1);
    rows.set(k, Field.LongForm, branch ? branch.long.id : -1);
    if (branch) {
      rows.set(k, Field.ShortSize, branch.shortSize);
      rows.set(k, Field.LongSize, branch.longSize);
      rows.set(k, Field.ViaPlt, branch.viaPlt ? 1 : 0);
    }
    rows.set(k, Field.FirstFixup, this.fixups.count);
    for (let i = 0; i < count; i++) {
      const op = operands[i]!;
      if (!op.folded) continue;
      rows.set(k, Field.Operands + 2 * i, op.symbol + 1);
      rows.set(k, Field.Operands + 2 * i + 1, op.minus + 1);
      this.values.set(k * MAX_OPERANDS + i, op.wide ?? op.value);
    }
    if (prefixes !== NO_PREFIXES) this.prefixes.set(k, prefixes);
    return k;
  }

  /** Sets the encoding of the statement just added. */
  setBytes(k: number, bytes: Uint8Array, length: number): void {
    if (this.bytesLength + length > this.bytes.length) {
      this.bytes = this.arena.grow(this.bytes, Math.max(this.bytes.length * 2, this.bytesLength + length));
    }
    const at = this.bytesLength;
    for (let i = 0; i < length; i++) this.bytes[at + i] = bytes[i]!;
    this.bytesLength += length;
    this.rows.set(k, Field.BytesAt, at);
    this.rows.set(k, Field.BytesLength, length);
  }

  /** Adds a fixup (see `fixups`) to statement k, the one just added. */
  addFixup(k: number, offset: number, size: FieldSize, kind: FixupKind, branch: boolean, plus: number, minus: number, addend: number | bigint, start: number, end: number, relocation: number): void {
    this.fixups.add(offset, 0, size, kind, branch, plus, minus, addend, start, end, relocation);
    this.rows.set(k, Field.FixupCount, this.rows.get(k, Field.FixupCount) + 1);
  }

  /** The form of statement k, or undefined for prefix words alone. */
  form(k: number): Form | undefined {
    const id = this.rows.get(k, Field.Form);
    return id < 0 ? undefined : FORMS[id];
  }

  /** False for prefix words alone. */
  isInstruction(k: number): boolean {
    return this.rows.get(k, Field.Form) >= 0;
  }

  /** The rel32 form of a relaxable branch, else undefined. */
  longForm(k: number): Form | undefined {
    const id = this.rows.get(k, Field.LongForm);
    return id < 0 ? undefined : FORMS[id];
  }

  shortSize(k: number): number {
    return this.rows.get(k, Field.ShortSize);
  }

  longSize(k: number): number {
    return this.rows.get(k, Field.LongSize);
  }

  viaPlt(k: number): boolean {
    return this.rows.get(k, Field.ViaPlt) === 1;
  }

  prefixesOf(k: number): Prefixes {
    return this.prefixes.get(k) ?? NO_PREFIXES;
  }

  /** Operand i's symbol, and the symbol it subtracts (-1: none): meaningful for folded operands. */
  symbol(k: number, i: number): number {
    return this.rows.get(k, Field.Operands + 2 * i) - 1;
  }

  minus(k: number, i: number): number {
    return this.rows.get(k, Field.Operands + 2 * i + 1) - 1;
  }

  /** Operand i's value: a number when that is exact (see OperandSlot.value). */
  value(k: number, i: number): number | bigint {
    return this.values.get(k * MAX_OPERANDS + i);
  }

  /** Copies the statement's bytes to `target` from `at`; returns their length. */
  copyBytes(k: number, target: Uint8Array, at: number): number {
    const from = this.rows.get(k, Field.BytesAt);
    const length = this.rows.get(k, Field.BytesLength);
    for (let i = 0; i < length; i++) target[at + i] = this.bytes[from + i]!;
    return length;
  }

  bytesLengthOf(k: number): number {
    return this.rows.get(k, Field.BytesLength);
  }

  firstFixup(k: number): number {
    return this.rows.get(k, Field.FirstFixup);
  }

  fixupCount(k: number): number {
    return this.rows.get(k, Field.FixupCount);
  }

  /** The slot (its index in `slots`) that holds text[start..end), or the empty one where it would go. */
  private probe(start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    const text = this.text;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = 2 * slot;
      const h = slots[at]!;
      if (h === 0) return at;
      if (h === hash) {
        const k = slots[at + 1]!;
        if (this.keys.get(k, 1) === length) {
          const from = this.keys.get(k, 0);
          let i = 0;
          while (i < length && text.charCodeAt(from + i) === text.charCodeAt(start + i)) i++;
          if (i === length) return at;
        }
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = this.arena.int32(old.length * 2);
    const mask = this.slots.length / 2 - 1;
    for (let at = 0; at < old.length; at += 2) {
      if (old[at] === 0) continue;
      let slot = old[at]! & mask;
      while (this.slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      this.slots[2 * slot] = old[at]!;
      this.slots[2 * slot + 1] = old[at + 1]!;
    }
    this.arena.release(old);
  }
}
