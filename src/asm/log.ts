/**
 * The emitted instructions, kept compactly so that `AssembleResult.instructions` can list them
 * without the assembler building an Instruction object (and its operand objects) per line.
 * Parsing a statement depends on its text alone, so the log keeps only what matching added:
 * the form, the folded operand values and symbols, and the prefixes when there are any. An
 * Instruction is rebuilt, when the list is read, by parsing the statement again and putting
 * those back.
 */
import { MAX_OPERANDS, NO_PREFIXES } from "../x86/encode.js";
import type { Instruction, Prefixes } from "../x86/instruction.js";
import { instructionOf, ParsedInstruction, parseInstruction } from "../x86/syntax.js";
import { FORMS } from "../x86/table.js";
import { IntRows } from "./rows.js";

/** The fields of a row. */
const enum Field {
  /** The section's `order`. */
  Section,
  Off,
  Nvar,
  /** -1 for a relaxable branch: its section's variable part `parts[Nvar]`, sized by layout. */
  Length,
  SpanStart,
  SpanEnd,
  Form,
  /** Then per operand: its symbol and the symbol it subtracts (-1: none). */
  Operands,
}

const WIDTH = Field.Operands + 2 * MAX_OPERANDS;

export interface LoggedInstruction {
  readonly section: number;
  readonly off: number;
  readonly nvar: number;
  /** -1 for a relaxable branch. */
  readonly length: number;
  readonly start: number;
  readonly end: number;
}

export class InstructionLog {
  private readonly rows = new IntRows(WIDTH);
  /** MAX_OPERANDS operand values per row (see OperandSlot.value), and those a number does not hold exactly. */
  private values = new Float64Array(256 * MAX_OPERANDS);
  private readonly wide = new Map<number, bigint>();
  /** The prefixes of rows that have any. */
  private readonly prefixes = new Map<number, Prefixes>();
  /** The statement an Instruction is rebuilt in. */
  private readonly scratch = new ParsedInstruction();

  get count(): number {
    return this.rows.count;
  }

  /** Logs a matched statement placed at `off`/`nvar` of a section; length -1 for a relaxable branch. */
  add(parsed: ParsedInstruction, section: number, off: number, nvar: number, length: number, start: number, end: number): void {
    const rows = this.rows;
    const k = rows.add();
    rows.set(k, Field.Section, section);
    rows.set(k, Field.Off, off);
    rows.set(k, Field.Nvar, nvar);
    rows.set(k, Field.Length, length);
    rows.set(k, Field.SpanStart, start);
    rows.set(k, Field.SpanEnd, end);
    rows.set(k, Field.Form, parsed.form.id);
    if ((k + 1) * MAX_OPERANDS > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    for (let i = 0; i < parsed.count; i++) {
      const op = parsed.operands[i]!;
      rows.set(k, Field.Operands + 2 * i, op.symbol);
      rows.set(k, Field.Operands + 2 * i + 1, op.minus);
      this.values[k * MAX_OPERANDS + i] = op.value;
      if (op.wide !== undefined) this.wide.set(k * MAX_OPERANDS + i, op.wide);
    }
    if (parsed.prefixes !== NO_PREFIXES) this.prefixes.set(k, parsed.prefixes);
  }

  /** Where instruction k is. */
  place(k: number): LoggedInstruction {
    const rows = this.rows;
    return {
      section: rows.get(k, Field.Section),
      off: rows.get(k, Field.Off),
      nvar: rows.get(k, Field.Nvar),
      length: rows.get(k, Field.Length),
      start: rows.get(k, Field.SpanStart),
      end: rows.get(k, Field.SpanEnd),
    };
  }

  /** Instruction k of the statements of `text`, rebuilt; `nameOf` names the symbols. */
  instruction(k: number, text: string, nameOf: (symbol: number) => string): Instruction {
    const rows = this.rows;
    const parsed = this.scratch;
    const bad = parseInstruction(text, rows.get(k, Field.SpanStart), rows.get(k, Field.SpanEnd), parsed);
    if (bad) throw new Error(`a logged statement no longer parses: ${bad.message}`);
    parsed.form = FORMS[rows.get(k, Field.Form)]!;
    parsed.prefixes = this.prefixes.get(k) ?? NO_PREFIXES;
    for (let i = 0; i < parsed.count; i++) {
      const op = parsed.operands[i]!;
      op.symbol = rows.get(k, Field.Operands + 2 * i);
      op.minus = rows.get(k, Field.Operands + 2 * i + 1);
      op.value = this.values[k * MAX_OPERANDS + i]!;
      op.wide = this.wide.get(k * MAX_OPERANDS + i);
    }
    return instructionOf(parsed, nameOf);
  }
}
