/**
 * Diagnostics are values: every stage (assembler, language front end, code generator,
 * verifier) returns them instead of throwing, and the CLI, the language server and the tests
 * render them. Positions are stored as 0-based offsets into a SourceFile; the SourceFile maps
 * them to 1-based line/column (CLI, GCC style) or 0-based line/character (LSP).
 */

export type Severity = "error" | "warning" | "note";

export interface Span {
  /** 0-based offset of the first character. */
  readonly start: number;
  /** 0-based offset one past the last character (== start for a point). */
  readonly end: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code, e.g. "PV1001". Documented in docs/diagnostics.md. */
  readonly code: string;
  readonly message: string;
  readonly file: SourceFile;
  readonly span: Span;
  /** Follow-up notes (e.g. "previous definition is here"). */
  readonly related?: readonly Diagnostic[];
}

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, counted in characters (UTF-16 units) of the line. */
  readonly column: number;
}

export class SourceFile {
  private readonly lineStarts: number[];

  constructor(
    /** The name shown in diagnostics (a path, `<stdin>`, or an editor URI). */
    readonly name: string,
    readonly text: string,
  ) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** 1-based line and column of a 0-based offset. */
  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.lineStarts[lo]! + 1 };
  }

  /** 0-based line/character, as the Language Server Protocol counts. */
  lspPosition(offset: number): { line: number; character: number } {
    const p = this.position(offset);
    return { line: p.line - 1, character: p.column - 1 };
  }

  /** 0-based offset of a 1-based line and column. */
  offsetOf(line: number, column: number): number {
    const start = this.lineStarts[Math.max(0, Math.min(line - 1, this.lineStarts.length - 1))]!;
    return start + column - 1;
  }

  /** The text of a 1-based line without its line terminator. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return "";
    const next = this.lineStarts[line];
    let end = next === undefined ? this.text.length : next - 1;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }
}

export function diagnostic(
  severity: Severity,
  code: string,
  message: string,
  file: SourceFile,
  span: Span,
  related?: readonly Diagnostic[],
): Diagnostic {
  return related ? { severity, code, message, file, span, related } : { severity, code, message, file, span };
}

export const error = (code: string, message: string, file: SourceFile, span: Span, related?: readonly Diagnostic[]) =>
  diagnostic("error", code, message, file, span, related);
export const warning = (code: string, message: string, file: SourceFile, span: Span, related?: readonly Diagnostic[]) =>
  diagnostic("warning", code, message, file, span, related);
export const note = (code: string, message: string, file: SourceFile, span: Span) =>
  diagnostic("note", code, message, file, span);

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Sorts by file, then position, keeping the order of equal positions. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.file.name.localeCompare(b.d.file.name) || a.d.span.start - b.d.span.start || a.i - b.i)
    .map((x) => x.d);
}
