/**
 * Splits assembler source into statements the way GNU as's preprocessor sees them: `/* *\/`
 * comments, `#` to end of line, a `/` as the first non-blank character of a line, and any
 * extra line-comment markers (the .pvop language's `//`) are comments; `;` and newlines end a
 * statement; quoted strings keep their contents. Offsets are never shifted: every span points
 * into the caller's file.
 *
 * A line comment simply ends its statement. Block comments, which may sit inside a statement,
 * are replaced by blanks (newlines kept) in the cleaned text; the cleaned text is the original
 * string itself when there is no block comment, which is the common case. Statements are kept
 * in one flat typed array rather than as objects: a large file has hundreds of thousands.
 */
import { IntRows } from "./rows.js";

export interface ScanResult {
  /** The file text with block comments replaced by blanks inside the scanned range. */
  readonly clean: string;
  readonly statements: StatementList;
  /** An unterminated string or block comment, as [start, end). */
  readonly problems: { start: number; end: number; message: string }[];
}

/** Statement k is text[start(k)..end(k)) (without its separator or comment), on line(k). */
export class StatementList {
  private readonly rows = new IntRows(3);

  get count(): number {
    return this.rows.count;
  }

  push(start: number, end: number, line: number): void {
    const k = this.rows.add();
    this.rows.set(k, 0, start);
    this.rows.set(k, 1, end);
    this.rows.set(k, 2, line);
  }

  start(k: number): number {
    return this.rows.get(k, 0);
  }

  end(k: number): number {
    return this.rows.get(k, 1);
  }

  /** 1-based line of the statement's start. */
  line(k: number): number {
    return this.rows.get(k, 2);
  }
}

const NL = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const SLASH = 47;
const STAR = 42;

// Character classes: the scanner's inner loop only looks at a character's class, and most
// characters are PLAIN. Code units from 128 up are PLAIN unless a comment marker starts with one.
const PLAIN = 0;
const BLANK = 1;
const NEWLINE = 2;
const SEMICOLON = 3;
const STRING = 4;
const CHARACTER = 5; // ' starts a character literal
const SLASH_CLASS = 6;
const HASH = 7;
const MARKER = 8; // the first character of an extra comment marker

const CLASSES = new Uint8Array(128);
CLASSES[32] = CLASSES[9] = CLASSES[13] = BLANK;
CLASSES[NL] = NEWLINE;
CLASSES[59] = SEMICOLON;
CLASSES[QUOTE] = STRING;
CLASSES[39] = CHARACTER;
CLASSES[SLASH] = SLASH_CLASS;
CLASSES[35] = HASH;

/** Scans text[start..end); `firstLine` is the 1-based line of `start`. */
export function scan(text: string, start: number, end: number, firstLine: number, lineComments: readonly string[] = []): ScanResult {
  const statements = new StatementList();
  const problems: { start: number; end: number; message: string }[] = [];
  const markers = lineComments.filter((m) => m.length > 0);
  const classes = markers.length ? withMarkers(markers) : CLASSES;
  const blocks: number[] = []; // block comments as start, stop pairs
  let line = firstLine;
  let stmtStart = start;
  let stmtLine = line;
  let lineStart = true; // only blanks so far on this line
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    const cls = c < 128 ? classes[c]! : classes === CLASSES ? PLAIN : markers.some((m) => m.charCodeAt(0) === c) ? MARKER : PLAIN;
    switch (cls) {
      case PLAIN:
        lineStart = false;
        i++;
        continue;
      case BLANK:
        i++;
        continue;
      case NEWLINE:
        if (i > stmtStart) statements.push(stmtStart, i, stmtLine);
        i++;
        line++;
        stmtStart = i;
        stmtLine = line;
        lineStart = true;
        continue;
      case SEMICOLON:
        if (i > stmtStart) statements.push(stmtStart, i, stmtLine);
        i++;
        stmtStart = i;
        stmtLine = line;
        lineStart = false;
        continue;
      case STRING: {
        // A string: skip to the closing quote, honouring backslash escapes.
        let k = i + 1;
        while (k < end && text.charCodeAt(k) !== QUOTE && text.charCodeAt(k) !== NL) k += text.charCodeAt(k) === BACKSLASH ? 2 : 1;
        if (k >= end || text.charCodeAt(k) !== QUOTE) {
          problems.push({ start: i, end: Math.min(k, end), message: "missing closing '\"'" });
          i = Math.min(k, end);
        } else i = k + 1;
        lineStart = false;
        continue;
      }
      case CHARACTER:
        // 'c character literal: the character after the quote is data (even '#' or ';').
        i += text.charCodeAt(i + 1) === BACKSLASH ? 3 : 2;
        lineStart = false;
        continue;
    }
    if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const close = text.indexOf("*/", i + 2);
      const stop = close < 0 || close + 2 > end ? end : close + 2;
      if (close < 0 || close + 2 > end) problems.push({ start: i, end: i + 2, message: "unterminated comment" });
      const before = line;
      for (let k = i; k < stop; k++) if (text.charCodeAt(k) === NL) line++;
      blocks.push(i, stop);
      if (line !== before) {
        // A comment spanning lines ends the statement, as the newline it swallowed would have.
        if (i > stmtStart) statements.push(stmtStart, i, stmtLine);
        stmtStart = stop;
        stmtLine = line;
      }
      i = stop;
      continue;
    }
    if (cls === HASH || (cls === SLASH_CLASS && lineStart) || markers.some((m) => text.startsWith(m, i))) {
      // A line comment ends the statement; the newline after it starts the next one.
      if (i > stmtStart) statements.push(stmtStart, i, stmtLine);
      const newline = text.indexOf("\n", i);
      i = newline < 0 || newline > end ? end : newline;
      stmtStart = i;
      continue;
    }
    lineStart = false;
    i++;
  }
  if (end > stmtStart) statements.push(stmtStart, end, stmtLine);
  return { clean: blocks.length ? blankRanges(text, blocks) : text, statements, problems };
}

/** CLASSES with the first characters of extra comment markers (below 128) marked. */
function withMarkers(markers: readonly string[]): Uint8Array {
  const classes = CLASSES.slice();
  for (const m of markers) {
    const c = m.charCodeAt(0);
    if (c < 128 && classes[c] === PLAIN) classes[c] = MARKER;
  }
  return classes;
}

/** The text with each [start, stop) range of `ranges` turned into blanks, newlines kept. */
function blankRanges(text: string, ranges: readonly number[]): string {
  const chunks: string[] = [];
  let copied = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const from = ranges[r]!;
    const to = ranges[r + 1]!;
    chunks.push(text.slice(copied, from), text.slice(from, to).replace(/[^\n]/g, " "));
    copied = to;
  }
  chunks.push(text.slice(copied));
  return chunks.join("");
}
