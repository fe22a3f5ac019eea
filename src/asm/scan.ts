/**
 * Splits assembler source into statements the way GNU as's preprocessor sees them: `/* *\/`
 * comments, `#` to end of line, a `/` as the first non-blank character of a line, and any
 * extra line-comment markers (the .pvop language's `//`) become blanks; `;` and newlines end a
 * statement; quoted strings keep their contents. Offsets are never shifted: the cleaned text has
 * the same length as the original, so every span points into the caller's file.
 */

export interface Statement {
  /** Offsets into the (cleaned) text; [start, end) excludes the separator. */
  readonly start: number;
  readonly end: number;
  /** 1-based line of the statement's start. */
  readonly line: number;
}

export interface ScanResult {
  /** The file text with comments replaced by spaces (newlines kept) inside the scanned range. */
  readonly clean: string;
  readonly statements: Statement[];
  /** An unterminated string or block comment, as [start, end). */
  readonly problems: { start: number; end: number; message: string }[];
}

const NL = 10;

/** Scans text[start..end); `firstLine` is the 1-based line of `start`. */
export function scan(text: string, start: number, end: number, firstLine: number, lineComments: readonly string[] = []): ScanResult {
  const chunks: string[] = [];
  let copied = 0; // text[copied..i) is yet to be appended
  const blank = (from: number, to: number) => {
    chunks.push(text.slice(copied, from));
    let s = "";
    let runStart = from;
    for (let k = from; k < to; k++) {
      if (text.charCodeAt(k) === NL) {
        s += " ".repeat(k - runStart) + "\n";
        runStart = k + 1;
      }
    }
    s += " ".repeat(to - runStart);
    chunks.push(s);
    copied = to;
  };
  const statements: Statement[] = [];
  const problems: { start: number; end: number; message: string }[] = [];
  const markers = lineComments.filter((m) => m.length > 0);
  let line = firstLine;
  let stmtStart = start;
  let stmtLine = line;
  let lineStart = true; // only blanks so far on this line
  let i = start;
  const endStatement = (at: number) => {
    if (at > stmtStart) statements.push({ start: stmtStart, end: at, line: stmtLine });
  };
  const toEndOfLine = (from: number) => {
    let k = from;
    while (k < end && text.charCodeAt(k) !== NL) k++;
    return k;
  };
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === NL) {
      endStatement(i);
      i++;
      line++;
      stmtStart = i;
      stmtLine = line;
      lineStart = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c === 59) {
      endStatement(i);
      i++;
      stmtStart = i;
      stmtLine = line;
      lineStart = false;
      continue;
    }
    if (c === 34) {
      // A string: skip to the closing quote, honouring backslash escapes.
      let k = i + 1;
      while (k < end && text.charCodeAt(k) !== 34 && text.charCodeAt(k) !== NL) k += text.charCodeAt(k) === 92 ? 2 : 1;
      if (k >= end || text.charCodeAt(k) !== 34) {
        problems.push({ start: i, end: Math.min(k, end), message: "missing closing '\"'" });
        i = Math.min(k, end);
      } else i = k + 1;
      lineStart = false;
      continue;
    }
    if (c === 39) {
      // 'c character literal: the character after the quote is data (even '#' or ';').
      i += text.charCodeAt(i + 1) === 92 ? 3 : 2;
      lineStart = false;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const close = text.indexOf("*/", i + 2);
      const stop = close < 0 || close + 2 > end ? end : close + 2;
      if (close < 0 || close + 2 > end) problems.push({ start: i, end: i + 2, message: "unterminated comment" });
      const before = line;
      for (let k = i; k < stop; k++) if (text.charCodeAt(k) === NL) line++;
      blank(i, stop);
      if (line !== before) {
        // A comment spanning lines ends the statement, as the newline it swallowed would have.
        endStatement(i);
        stmtStart = stop;
        stmtLine = line;
      }
      i = stop;
      continue;
    }
    if (c === 35 || (c === 47 && lineStart) || (markers.length > 0 && markers.some((m) => text.startsWith(m, i)))) {
      const stop = toEndOfLine(i);
      blank(i, stop);
      i = stop;
      continue;
    }
    lineStart = false;
    i++;
  }
  endStatement(end);
  chunks.push(text.slice(copied));
  return { clean: copied === 0 ? text : chunks.join(""), statements, problems };
}
