/**
 * The .pvop lexer (chevrotain). Besides the usual tokens it has one context-sensitive token,
 * the assembly body: after `native`, after `asm NAME`, `c NAME` and `code`, a `{ ... }` block is
 * taken whole as one token, because its inside is AT&T assembly for the assembler, not .pvop.
 *
 * Every token carries a `doc` string: grammar/pvop.ebnf's lexical section is generated from it.
 */
import { createToken, Lexer, tokenMatcher, type CustomPatternMatcherReturn, type IToken, type TokenType } from "chevrotain";

interface TokenSpec {
  /** EBNF right-hand side describing the token, for grammar/pvop.ebnf. */
  readonly doc: string;
}

const docs = new Map<TokenType, TokenSpec>();
function token(config: Parameters<typeof createToken>[0], doc: string): TokenType {
  const t = createToken(config);
  docs.set(t, { doc });
  return t;
}

/** The token's EBNF description (lexical grammar). */
export function tokenDoc(t: TokenType): string | undefined {
  return docs.get(t)?.doc;
}

export const WhiteSpace = token({ name: "WhiteSpace", pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true }, "? white space ?");
/** `///` comments document the declaration that follows them (hover shows them). */
export const DocComment = token({ name: "DocComment", pattern: /\/\/\/[^\n]*/, group: "docs" }, '"///" { ? any character but newline ? }');
export const LineComment = token({ name: "LineComment", pattern: /\/\/[^\n]*/, group: "comments" }, '"//" { ? any character but newline ? }');
export const BlockComment = token(
  { name: "BlockComment", pattern: /\/\*[^]*?\*\//, group: "comments", line_breaks: true },
  '"/*" { ? any character ? } "*/"',
);
/** A `/*` with no `*\/`: lexed to the end of input so that one error reports it. */
export const UnterminatedComment = token(
  { name: "UnterminatedComment", pattern: /\/\*[^]*/, group: "errors", line_breaks: true },
  '"/*" { ? any character ? } (* to the end of input: an error *)',
);

/**
 * Tokens that cannot start a declaration: the parser's `stray` rule skips them between
 * declarations (one error per run) so that parsing goes on after a mistake at the top level.
 */
export const Stray = createToken({ name: "StrayToken", pattern: Lexer.NA, label: "token" });

const ASM_BODY_DOC =
  '"{" { ? any character but "}" ? | comment | ? a string ? } "}" (* only after native, asm NAME, c NAME and code: AT&T assembly *)';

/** Where a `{` opens an assembly body rather than a .pvop block. */
function opensAssembly(matched: IToken[]): boolean {
  const last = matched[matched.length - 1];
  if (!last) return false;
  const before = matched[matched.length - 2];
  // `native` also names the built-in backend: `expect native {`, `init native {`, `backend native {`.
  if (last.tokenType === Native) return !before || !NAMING_NATIVE.has(before.tokenType);
  if (last.tokenType === Code) return true;
  // `asm NAME {` is an asm impl; `c NAME {` a C impl's model of its code.
  return (before?.tokenType === Asm && last.tokenType !== Asm) || (before?.tokenType === C && tokenMatcher(last, Name));
}

/** Tokens after which `native` is a name, not the start of a native body. */
const NAMING_NATIVE = new Set<TokenType>();

/**
 * The end of an assembly body starting at `open` (a `{`): the offset of its `}`, skipping
 * comments and strings where a `}` would not count; -1 when it is never closed.
 */
export function assemblyBodyEnd(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7d /* } */) return i;
    if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) i = lineEnd(text, i);
    else if (c === 0x23 /* # */) i = lineEnd(text, i);
    else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 2;
    } else if (c === 0x22 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22 && text.charCodeAt(i) !== 10) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
    } else i++;
  }
  return -1;
}

function lineEnd(text: string, i: number): number {
  const nl = text.indexOf("\n", i);
  return nl < 0 ? text.length : nl;
}

function matchAssemblyBody(text: string, offset: number, matched: IToken[]): CustomPatternMatcherReturn | null {
  if (text.charCodeAt(offset) !== 0x7b /* { */ || !opensAssembly(matched)) return null;
  const close = assemblyBodyEnd(text, offset);
  // An unclosed body runs to the end of input; the parser reports it once (see parse.ts).
  return [text.slice(offset, close < 0 ? text.length : close + 1)] as unknown as CustomPatternMatcherReturn;
}

export const AsmBody = token(
  {
    name: "AsmBody",
    pattern: { exec: matchAssemblyBody },
    start_chars_hint: ["{"],
    line_breaks: true,
    categories: [Stray],
    label: "assembly body",
  },
  ASM_BODY_DOC,
);

/** Every keyword is also a Name: keywords are reserved only where a declaration or clause starts. */
export const Name = token({ name: "Name", pattern: Lexer.NA, label: "name" }, "identifier | keyword");
export const Identifier = token(
  { name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Name, Stray], label: "name" },
  '( letter | "_" ) { letter | digit | "_" }',
);

const DECLARATION_KEYWORDS = ["target", "import", "const", "convention", "group", "backend", "scenario", "data", "percpu", "extern"];
const keywordTokens: TokenType[] = [];
function keyword(word: string): TokenType {
  // The look-ahead keeps `c` from matching the start of `code` or `callee_save`.
  const t = token(
    {
      name: word[0]!.toUpperCase() + word.slice(1),
      pattern: new RegExp(`${word}(?![A-Za-z0-9_])`),
      start_chars_hint: [word[0]!],
      categories: DECLARATION_KEYWORDS.includes(word) ? [Name] : [Name, Stray],
      label: `'${word}'`,
    },
    `"${word}"`,
  );
  keywordTokens.push(t);
  return t;
}

export const Target = keyword("target");
export const Import = keyword("import");
export const Const = keyword("const");
export const Convention = keyword("convention");
export const Args = keyword("args");
export const Returns = keyword("returns");
export const Clobbers = keyword("clobbers");
export const Group = keyword("group");
export const Op = keyword("op");
export const Native = keyword("native");
export const Identity = keyword("identity");
export const Nop = keyword("nop");
export const Backend = keyword("backend");
export const Data = keyword("data");
export const Percpu = keyword("percpu");
export const Extern = keyword("extern");
export const Impl = keyword("impl");
export const Asm = keyword("asm");
export const C = keyword("c");
export const Scenario = keyword("scenario");
export const Init = keyword("init");
export const Code = keyword("code");
export const Expect = keyword("expect");
export const Pvcall = keyword("pvcall");
export const Room = keyword("room");

export const Integer = token(
  { name: "Integer", pattern: /0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*/, categories: [Stray], label: "integer" },
  '"0x" hexdigit { hexdigit | "_" } | "0b" bindigit { bindigit | "_" } | digit { digit | "_" }',
);
export const StringLiteral = token({ name: "StringLiteral", pattern: /"[^"\n]*"/, categories: [Stray], label: "string" }, '\'"\' { ? any character but \'"\' or newline ? } \'"\'');
export const UnterminatedString = token({ name: "UnterminatedString", pattern: /"[^"\n]*/, group: "errors" }, '\'"\' (* with no closing quote on its line: an error *)');

const punct = (name: string, pattern: RegExp, text: string) => token({ name, pattern, categories: [Stray], label: `'${text}'` }, `"${text}"`);
export const Arrow = punct("Arrow", /->/, "->");
export const EqualEqual = punct("EqualEqual", /==/, "==");
export const NotEqual = punct("NotEqual", /!=/, "!=");
export const ShiftLeft = punct("ShiftLeft", /<</, "<<");
export const ShiftRight = punct("ShiftRight", />>/, ">>");
export const Equals = punct("Equals", /=/, "=");
export const LCurly = punct("LCurly", /\{/, "{");
export const RCurly = punct("RCurly", /\}/, "}");
export const LParen = punct("LParen", /\(/, "(");
export const RParen = punct("RParen", /\)/, ")");
export const LBracket = punct("LBracket", /\[/, "[");
export const RBracket = punct("RBracket", /\]/, "]");
export const Comma = punct("Comma", /,/, ",");
export const Semicolon = punct("Semicolon", /;/, ";");
export const Colon = punct("Colon", /:/, ":");
export const Dot = punct("Dot", /\./, ".");
export const Plus = punct("Plus", /\+/, "+");
export const Minus = punct("Minus", /-/, "-");
export const Star = punct("Star", /\*/, "*");
export const Slash = punct("Slash", /\//, "/");
export const Percent = punct("Percent", /%/, "%");
export const Pipe = punct("Pipe", /\|/, "|");
export const Ampersand = punct("Ampersand", /&/, "&");
export const Tilde = punct("Tilde", /~/, "~");

/** Token order is match priority: comments before `/`, the assembly body before `{`, keywords before names. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedComment,
  AsmBody,
  Stray,
  Name,
  ...keywordTokens,
  Identifier,
  Integer,
  StringLiteral,
  UnterminatedString,
  Arrow,
  EqualEqual,
  NotEqual,
  ShiftLeft,
  ShiftRight,
  Equals,
  LCurly,
  RCurly,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Semicolon,
  Colon,
  Dot,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Pipe,
  Ampersand,
  Tilde,
];

export const KEYWORDS: readonly TokenType[] = keywordTokens;

for (const t of [Expect, Init, Backend, Group, Convention, Scenario, Op, Dot]) NAMING_NATIVE.add(t);

export const pvopLexer = new Lexer(ALL_TOKENS, { positionTracking: "onlyOffset", ensureOptimizations: false });
