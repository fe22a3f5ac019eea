/**
 * What each statement emitted, one row per statement that put bytes (or a relaxable branch)
 * into a section: where they went, for the listing, and for an instruction the prepared
 * statement it is (see PreparedStatements), which keeps what matching added to its text: the
 * form, the folded operand values and symbols, the prefixes. Parsing a statement depends on its
 * text alone, so `AssembleResult.instructions` is rebuilt from these rows, when it is read, by
 * parsing the statement again; the assembler builds no Instruction object per line.
 */
import type { Instruction } from "../x86/instruction.js";
import { instructionOf, ParsedInstruction, parseInstruction } from "../x86/syntax.js";
import type { PreparedStatements } from "./prepared.js";
import { IntRows, type ArrayArena } from "./rows.js";

/** The fields of a row. */
const enum Field {
  /** 1-based source line. */
  Line,
  /** The section's `order`. */
  Section,
  /** Where the statement's bytes start and end, as section positions (see SectionState). */
  Off,
  Nvar,
  EndOff,
  EndNvar,
  /** The instruction's text. */
  SpanStart,
  SpanEnd,
  /** The prepared statement of an instruction, -1 for a statement that is not one. */
  Prepared,
  Width,
}

/** Where a statement's bytes are. */
export interface Placed {
  readonly line: number;
  readonly section: number;
  readonly off: number;
  readonly nvar: number;
  readonly endOff: number;
  /** Above `nvar` when the statement is a relaxable branch, the variable part `parts[nvar]`. */
  readonly endNvar: number;
}

export class StatementLog {
  private readonly rows: IntRows;
  /** The statement an Instruction is rebuilt in. */
  private readonly scratch = new ParsedInstruction();

  constructor(arena: ArrayArena) {
    this.rows = new IntRows(Field.Width, arena);
  }

  get count(): number {
    return this.rows.count;
  }

  /** Logs a statement that emitted section[off/nvar .. endOff/endNvar): instruction `prepared` (-1: none) from text[start..end). */
  add(line: number, section: number, off: number, nvar: number, endOff: number, endNvar: number, prepared: number, start: number, end: number): void {
    const rows = this.rows;
    const k = rows.add();
    rows.set(k, Field.Line, line);
    rows.set(k, Field.Section, section);
    rows.set(k, Field.Off, off);
    rows.set(k, Field.Nvar, nvar);
    rows.set(k, Field.EndOff, endOff);
    rows.set(k, Field.EndNvar, endNvar);
    rows.set(k, Field.SpanStart, start);
    rows.set(k, Field.SpanEnd, end);
    rows.set(k, Field.Prepared, prepared);
  }

  /** Moves the statements of each subsection in `moves` (by `order`) to where layout appended it to its section. */
  moveStatements(moves: ReadonlyMap<number, { readonly section: { readonly order: number }; readonly off: number; readonly nvar: number }>): void {
    const rows = this.rows;
    for (let k = 0; k < rows.count; k++) {
      const move = moves.get(rows.get(k, Field.Section));
      if (!move) continue;
      rows.set(k, Field.Section, move.section.order);
      rows.set(k, Field.Off, rows.get(k, Field.Off) + move.off);
      rows.set(k, Field.EndOff, rows.get(k, Field.EndOff) + move.off);
      rows.set(k, Field.Nvar, rows.get(k, Field.Nvar) + move.nvar);
      rows.set(k, Field.EndNvar, rows.get(k, Field.EndNvar) + move.nvar);
    }
  }

  /** Where statement k's bytes are. */
  placed(k: number): Placed {
    const rows = this.rows;
    return {
      line: rows.get(k, Field.Line),
      section: rows.get(k, Field.Section),
      off: rows.get(k, Field.Off),
      nvar: rows.get(k, Field.Nvar),
      endOff: rows.get(k, Field.EndOff),
      endNvar: rows.get(k, Field.EndNvar),
    };
  }

  isInstruction(k: number): boolean {
    return this.rows.get(k, Field.Prepared) >= 0;
  }

  /** The text of instruction k. */
  span(k: number): { start: number; end: number } {
    return { start: this.rows.get(k, Field.SpanStart), end: this.rows.get(k, Field.SpanEnd) };
  }

  /** Instruction k of the statements of `text`, rebuilt; `nameOf` names the symbols. */
  instruction(k: number, text: string, prepared: PreparedStatements, nameOf: (symbol: number) => string): Instruction {
    const rows = this.rows;
    const parsed = this.scratch;
    const bad = parseInstruction(text, rows.get(k, Field.SpanStart), rows.get(k, Field.SpanEnd), parsed);
    if (bad) throw new Error(`a logged statement no longer parses: ${bad.message}`);
    const p = rows.get(k, Field.Prepared);
    parsed.form = prepared.form(p)!;
    parsed.prefixes = prepared.prefixesOf(p);
    for (let i = 0; i < parsed.count; i++) {
      const op = parsed.operands[i]!;
      if (!op.folded) continue;
      op.symbol = prepared.symbol(p, i);
      op.minus = prepared.minus(p, i);
      const value = prepared.value(p, i);
      if (typeof value === "number") op.value = value;
      else op.setValue(value);
    }
    return instructionOf(parsed, nameOf);
  }
}
