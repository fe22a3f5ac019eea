/**
 * Just enough knowledge of assembler text to find statement boundaries inside an assembly
 * body: statements end at `;` or a line break, and neither counts inside a comment (`//`,
 * `#`, `/* *\/`) or a string. Used to pick the `pvcall` statements out of a scenario's code.
 */
import type { Span } from "../diag/diagnostic.js";

export interface Statement {
  /** The statement without surrounding blanks or its comment. */
  readonly span: Span;
}

/** The non-empty statements of `text` within `range`. */
export function assemblyStatements(text: string, range: Span): Statement[] {
  const out: Statement[] = [];
  let start = range.start;
  let contentEnd = range.start;
  const flush = (next: number) => {
    const body = text.slice(start, contentEnd);
    const lead = body.length - body.trimStart().length;
    const trimmed = body.trim();
    if (trimmed) out.push({ span: { start: start + lead, end: start + lead + trimmed.length } });
    start = contentEnd = next;
  };
  let i = range.start;
  while (i < range.end) {
    const c = text[i];
    if (c === "\n" || c === ";") {
      flush(i + 1);
      i++;
    } else if ((c === "/" && text[i + 1] === "/") || c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 || nl > range.end ? range.end : nl;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 || close + 2 > range.end ? range.end : close + 2;
    } else if (c === '"') {
      i++;
      while (i < range.end && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      i = Math.min(i + 1, range.end);
      contentEnd = i;
    } else {
      i++;
      if (c !== " " && c !== "\t" && c !== "\r") contentEnd = i;
    }
  }
  flush(range.end);
  return out;
}

const LEADING_LABELS = /^(?:\s*(?:[A-Za-z_.$][\w.$]*|\d+)\s*:)*\s*/;

/** Where the instruction of a statement starts, after any `label:` prefixes. */
export function instructionStart(text: string, statement: Statement): number {
  const m = LEADING_LABELS.exec(text.slice(statement.span.start, statement.span.end));
  return statement.span.start + (m ? m[0].length : 0);
}
