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
import { IntRows, type ArrayArena } from "./rows.js";

export interface ScanResult {
  /** The file text with block comments replaced by blanks inside the scanned range. */
  readonly clean: string;
  readonly statements: StatementList;
  /** An unterminated string or block comment, as [start, end). */
  readonly problems: { start: number; end: number; message: string }[];
}

/** Statement k is text[start(k)..end(k)) (without its separator or comment), on line(k). */
export class StatementList {
  private readonly rows: IntRows;

  constructor(arena: ArrayArena) {
    this.rows = new IntRows(3, arena);
  }

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
const APOSTROPHE = 39;
const BACKSLASH = 92;
const SLASH = 47;
const STAR = 42;
const HASH = 35;
const SEMICOLON = 59;

/** The characters that are more than statement text: separators, quotes, comment starts. */
const SPECIAL = /[;"'#/]/g;

/** Scans text[start..end); `firstLine` is the 1-based line of `start`. */
export function scan(text: string, start: number, end: number, firstLine: number, arena: ArrayArena, lineComments: readonly string[] = []): ScanResult {
  const statements = new StatementList(arena);
  const problems: { start: number; end: number; message: string }[] = [];
  const markers = lineComments.filter((m) => m.length > 0);
  // Most of the text is passed over by indexOf and a regular expression, line by line and from
  // one special character to the next; only those are looked at one by one.
  const special = markers.length ? specialWith(markers) : SPECIAL;
  const blocks: number[] = []; // block comments as start, stop pairs
  let line = firstLine;
  let stmtStart = start;
  let stmtLine = line;
  // Whether only blanks are on the line before a `/` (then a comment): true at a line start,
  // false after anything but blanks and block comments; `plainFrom` is where unread text starts.
  let lineStart = true;
  let plainFrom = start;
  let next = -1; // the next special character at or after i (end when there is none)
  let i = start;
  while (i < end) {
    if (next < i) {
      special.lastIndex = i;
      next = special.test(text) ? Math.min(special.lastIndex - 1, end) : end;
    }
    let newline = text.indexOf("\n", i);
    if (newline < 0 || newline > end) newline = end;
    if (newline < next) {
      // The rest of the line has nothing special in it.
      if (newline > stmtStart) statements.push(stmtStart, newline, stmtLine);
      i = stmtStart = plainFrom = newline + 1;
      stmtLine = ++line;
      lineStart = true;
      continue;
    }
    if (next === end) break;
    i = next;
    const c = text.charCodeAt(i);
    if (c === SEMICOLON) {
      if (i > stmtStart) statements.push(stmtStart, i, stmtLine);
      stmtStart = plainFrom = ++i;
      stmtLine = line;
      lineStart = false;
    } else if (c === QUOTE) {
      // A string: skip to the closing quote, honouring backslash escapes.
      let k = i + 1;
      while (k < end && text.charCodeAt(k) !== QUOTE && text.charCodeAt(k) !== NL) k += text.charCodeAt(k) === BACKSLASH ? 2 : 1;
      if (k >= end || text.charCodeAt(k) !== QUOTE) {
        problems.push({ start: i, end: Math.min(k, end), message: "missing closing '\"'" });
        i = Math.min(k, end);
      } else i = k + 1;
      plainFrom = i;
      lineStart = false;
    } else if (c === APOSTROPHE) {
      // 'c character literal: the character after the quote is data (even '#' or ';').
      i += text.charCodeAt(i + 1) === BACKSLASH ? 3 : 2;
      plainFrom = i;
      lineStart = false;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
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
      // Blanks and the comment leave lineStart as it was.
      if (lineStart && !onlyBlanks(text, plainFrom, i)) lineStart = false;
      i = plainFrom = stop;
    } else if (c === HASH || (c === SLASH && lineStart && onlyBlanks(text, plainFrom, i)) || markers.some((m) => text.startsWith(m, i))) {
      // A line comment ends the statement; the newline after it starts the next one.
      if (i > stmtStart) statements.push(stmtStart, i, stmtLine);
      const newline = text.indexOf("\n", i);
      i = stmtStart = plainFrom = newline < 0 || newline > end ? end : newline;
    } else {
      // A `/` that divides, or a character a marker starts with: text like any other.
      lineStart = false;
      plainFrom = ++i;
    }
  }
  if (end > stmtStart) statements.push(stmtStart, end, stmtLine);
  return { clean: blocks.length ? blankRanges(text, blocks) : text, statements, problems };
}

/** SPECIAL with the first characters of extra comment markers. */
function specialWith(markers: readonly string[]): RegExp {
  const starts = markers.map((m) => `\\u${m.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
  return new RegExp(`[;"'#/${starts}]`, "g");
}

/** Whether text[from..to) holds only blanks (space, tab, carriage return). */
function onlyBlanks(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
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
