/**
 * parse(): .pvop text to AST plus syntax diagnostics. Never throws and never gives up early:
 * lexical errors, parser errors (with chevrotain's recovery) and missing separators are all
 * reported, up to MAX_SYNTAX_ERRORS.
 */
import { EOF, type ILexingError, type IRecognitionException, type IToken } from "chevrotain";
import { error, type Diagnostic, type SourceFile, type Span } from "../diag/diagnostic.js";
import { assemblyStatements, instructionStart } from "./asmtext.js";
import type { Comment, Declaration, FileAst, PvcallStmt, ScenarioItem } from "./ast.js";
import { CODES } from "./codes.js";
import * as T from "./lexer.js";
import { PvopParser, tokenEnd, tokenSpan } from "./parser.js";

export interface ParseResult {
  readonly ast: FileAst;
  readonly diagnostics: Diagnostic[];
}

/** Beyond this many syntax errors the rest are noise: one note says so. */
export const MAX_SYNTAX_ERRORS = 100;
/** Expressions nest deeper than this only in hostile input; the parser and checker recurse on them. */
export const MAX_NESTING = 64;

let sharedParser: PvopParser | undefined;
/** Building a parser costs ~30 ms (grammar analysis); one instance serves every parse. */
function parser(): PvopParser {
  return (sharedParser ??= new PvopParser());
}

const CLOSERS = /^expected '[}\])]'/;

export function parse(file: SourceFile): ParseResult {
  const text = file.text;
  // Lexical and syntax errors alike: the cap below applies to all of them.
  const syntax: Diagnostic[] = [];
  const lexed = T.pvopLexer.tokenize(text);
  let unterminatedAt = Infinity;

  for (const e of lexed.errors) syntax.push(lexicalError(file, e));
  for (const t of lexed.groups["errors"] ?? []) {
    unterminatedAt = Math.min(unterminatedAt, t.startOffset);
    syntax.push(
      t.tokenType === T.UnterminatedComment
        ? error(CODES.unterminatedComment, "unterminated comment: '/*' has no matching '*/'", file, { start: t.startOffset, end: t.startOffset + 2 })
        : error(CODES.unterminatedString, "unterminated string: missing '\"' before the end of the line", file, tokenSpan(t)),
    );
  }

  let tokens = lexed.tokens;
  const tooDeep = deepestNesting(tokens);
  if (tooDeep >= 0) {
    const t = tokens[tooDeep]!;
    syntax.push(error(CODES.nestingTooDeep, `expression nests more than ${MAX_NESTING} deep; the rest of the file is ignored`, file, tokenSpan(t)));
    tokens = tokens.slice(0, tooDeep);
    unterminatedAt = Math.min(unterminatedAt, t.startOffset);
  }
  for (const t of tokens) {
    if (t.tokenType === T.AsmBody && !t.image.endsWith("}")) {
      unterminatedAt = Math.min(unterminatedAt, t.startOffset);
      syntax.push(error(CODES.unterminatedBody, "unterminated assembly body: '{' has no matching '}'", file, { start: t.startOffset, end: t.startOffset + 1 }));
    }
  }

  const p = parser();
  p.begin(text, tokens);
  // With nothing to recover from, a failed top rule yields undefined.
  let declarations = p.file() ?? [];
  for (const e of p.errors) {
    // After an unclosed comment or body every enclosing block is unclosed too: say it once.
    if (e.token.tokenType === EOF && unterminatedAt < Infinity) continue;
    syntax.push(recognitionError(file, e));
  }
  for (const s of p.separatorErrors) {
    syntax.push(error(CODES.missingSeparator, `expected ';' or a line break before '${s.next.image}'`, file, { start: s.offset, end: s.offset }));
  }
  reportStrays(file, p.strayTokens, syntax);

  const docs = docBlocks(text, lexed.groups["docs"] ?? []);
  declarations = declarations.map((d) => withDocs(d, docs));
  declarations = declarations.map((d) => (d.kind === "scenario" ? { ...d, items: d.items.map((item) => withPvcalls(file, item, syntax)) } : d));

  syntax.sort((a, b) => a.span.start - b.span.start);
  if (syntax.length > MAX_SYNTAX_ERRORS) {
    const last = syntax[MAX_SYNTAX_ERRORS - 1]!;
    syntax.length = MAX_SYNTAX_ERRORS;
    syntax.push(error(CODES.tooManyErrors, `too many syntax errors; stopped reporting after ${MAX_SYNTAX_ERRORS}`, file, last.span));
  }

  const comments: Comment[] = [
    ...(lexed.groups["comments"] ?? []).map((t) => ({ text: t.image, span: tokenSpan(t), doc: false })),
    ...(lexed.groups["docs"] ?? []).map((t) => ({ text: t.image, span: tokenSpan(t), doc: true })),
  ].sort((a, b) => a.span.start - b.span.start);
  return { ast: { file, declarations, comments }, diagnostics: syntax };
}

function lexicalError(file: SourceFile, e: ILexingError): Diagnostic {
  const bad = file.text.slice(e.offset, e.offset + e.length);
  const shown = bad.length > 16 ? `${bad.slice(0, 16)}...` : bad;
  const printable = [...shown].map((ch) => (/[\x20-\x7e]/.test(ch) ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`)).join("");
  return error(CODES.unexpectedCharacter, `unexpected character${bad.length > 1 ? "s" : ""} '${printable}'`, file, {
    start: e.offset,
    end: e.offset + e.length,
  });
}

/** `endOfInput`: where the parsed text ends (a pvcall statement ends before the file does). */
function recognitionError(file: SourceFile, e: IRecognitionException, endOfInput = file.text.length): Diagnostic {
  const previous = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  const atEnd = e.token.tokenType === EOF || Number.isNaN(e.token.startOffset);
  // A missing closer belongs right after what it should have followed, as GCC reports it.
  if (CLOSERS.test(e.message) && previous && !Number.isNaN(previous.startOffset)) {
    const at = tokenEnd(previous);
    return error(CODES.missingCloser, e.message, file, { start: at, end: at });
  }
  const span: Span = atEnd ? { start: endOfInput, end: endOfInput } : tokenSpan(e.token);
  return error(CODES.syntax, e.message, file, span);
}

function reportStrays(file: SourceFile, strays: readonly IToken[], out: Diagnostic[]): void {
  let previous: IToken | undefined;
  for (const t of strays) {
    const continuesRun = previous && !/\S/.test(file.text.slice(tokenEnd(previous), t.startOffset).replace(/\/\/[^\n]*|\/\*[^]*?\*\//g, ""));
    if (!continuesRun) {
      const what = t.tokenType === T.AsmBody ? "an assembly body" : `'${t.image.length > 20 ? `${t.image.slice(0, 20)}...` : t.image}'`;
      out.push(error(CODES.syntax, `expected a declaration (target, import, const, convention, group, backend, scenario, data, percpu or extern), found ${what}`, file, tokenSpan(t)));
    }
    previous = t;
  }
}

/**
 * The index of the first token that nests an expression beyond MAX_NESTING — an opening
 * parenthesis or bracket, or one more unary operator in a row — or -1.
 */
function deepestNesting(tokens: readonly IToken[]): number {
  let depth = 0;
  let unary = 0;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]!.tokenType;
    unary = type === T.Minus || type === T.Tilde ? unary + 1 : 0;
    if (unary > MAX_NESTING) return i;
    if (type === T.LParen || type === T.LBracket) {
      if (++depth > MAX_NESTING) return i;
    } else if (type === T.RParen || type === T.RBracket) depth = Math.max(0, depth - 1);
  }
  return -1;
}

const NON_BLANK = /\S/g;

/** Doc comment text keyed by the offset of the first token after the comment block. */
function docBlocks(text: string, docs: readonly IToken[]): Map<number, string> {
  const blocks = new Map<number, string>();
  let lines: string[] = [];
  for (let i = 0; i < docs.length; i++) {
    const t = docs[i]!;
    lines.push(t.image.slice(3).replace(/^ /, ""));
    const next = docs[i + 1];
    const end = tokenEnd(t);
    const gapEnd = next ? next.startOffset : text.length;
    if (next && !/\S/.test(text.slice(end, gapEnd))) continue;
    NON_BLANK.lastIndex = end;
    blocks.set(NON_BLANK.exec(text)?.index ?? text.length, lines.join("\n"));
    lines = [];
  }
  return blocks;
}

/** The declaration with the `///` block right above it (and its ops or items likewise). */
function withDocs(decl: Declaration, docs: Map<number, string>): Declaration {
  const documented = <D extends { readonly span: Span; readonly doc?: string }>(d: D): D => {
    const doc = docs.get(d.span.start);
    return doc === undefined ? d : { ...d, doc };
  };
  const d = documented(decl);
  if (d.kind === "group") return { ...d, ops: d.ops.map(documented) };
  if (d.kind === "backend") return { ...d, items: d.items.map(documented) };
  return d;
}

/** Parses the `pvcall` statements of a scenario's code body with the grammar's `pvcall` rule. */
function withPvcalls(file: SourceFile, item: ScenarioItem, out: Diagnostic[]): ScenarioItem {
  if (item.kind !== "code" || !item.body) return item;
  const pvcalls: PvcallStmt[] = [];
  for (const statement of assemblyStatements(file.text, item.body.inner)) {
    const start = instructionStart(file.text, statement);
    if (!/^pvcall(?![\w.$])/.test(file.text.slice(start, statement.span.end))) continue;
    const lexed = T.pvopLexer.tokenize(file.text.slice(start, statement.span.end));
    for (const t of lexed.tokens) t.startOffset += start;
    for (const e of lexed.errors) out.push(lexicalError(file, { ...e, offset: e.offset + start }));
    const p = parser();
    p.begin(file.text, lexed.tokens);
    const stmt = p.pvcall();
    for (const e of p.errors) out.push(recognitionError(file, e, statement.span.end));
    // Even a malformed pvcall is a site: the assembler must not read it as an instruction.
    pvcalls.push({ ...stmt, span: { start, end: statement.span.end } });
  }
  return { ...item, pvcalls };
}
