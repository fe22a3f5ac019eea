/**
 * The grammar as documentation, generated from the parser itself so that it cannot drift:
 * grammar/pvop.ebnf (syntax rules from the parser's productions, lexical rules from the
 * tokens' `doc` strings) and grammar/pvop-diagrams.html (chevrotain's railroad diagrams).
 * grammar/generate.mjs writes them; a test regenerates and compares.
 */
import { createSyntaxDiagramsCode, type IProduction, type TokenType } from "chevrotain";
import * as T from "./lexer.js";
import { PvopParser } from "./parser.js";

/** How a token appears in syntax rules: a quoted keyword or punctuator, or a lexical rule's name. */
function terminal(t: TokenType): string {
  const doc = T.tokenDoc(t);
  if (doc && /^"[^"]+"$/.test(doc)) return doc;
  return snake(t.name);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase());
}

function sequence(items: readonly IProduction[]): string {
  return items.map(production).join(" ");
}

function production(p: IProduction): string {
  const node = p as IProduction & { definition?: IProduction[]; nonTerminalName?: string; terminalType?: TokenType; separator?: TokenType };
  switch (p.constructor.name) {
    case "NonTerminal":
      return snake(node.nonTerminalName!);
    case "Terminal":
      return terminal(node.terminalType!);
    case "Option":
      return `[ ${sequence(node.definition!)} ]`;
    case "Repetition":
      return `{ ${sequence(node.definition!)} }`;
    case "RepetitionMandatory":
      return `${sequence(node.definition!)} { ${sequence(node.definition!)} }`;
    case "RepetitionWithSeparator":
      return `[ ${sequence(node.definition!)} { ${terminal(node.separator!)} ${sequence(node.definition!)} } ]`;
    case "RepetitionMandatoryWithSeparator":
      return `${sequence(node.definition!)} { ${terminal(node.separator!)} ${sequence(node.definition!)} }`;
    case "Alternation":
      return `( ${node.definition!.map((alt) => sequence((alt as IProduction & { definition: IProduction[] }).definition)).join(" | ")} )`;
    case "Alternative":
      return sequence(node.definition!);
  }
  throw new Error(`unexpected production ${p.constructor.name}`);
}

const HEADER = `(* The .pvop grammar, ISO 14977 EBNF. GENERATED from src/lang/parser.ts and src/lang/lexer.ts
   by grammar/generate.mjs; do not edit. test/lang/grammar.test.ts fails when this file and
   the parser disagree.

   Notes that the productions cannot show:
   - Statements inside blocks end at ";" or at a line break ("separator"); two statements on
     one line need the ";".
   - Every keyword is also a name: keywords are reserved only where a declaration or a
     clause starts, so an op may be called "data" and a backend "native".
   - "asm_body" is one token: after "native", after "asm" NAME and after "code", a "{" starts
     AT&T assembly that runs to the matching "}". A statement of a scenario's code body that
     begins with "pvcall" (after any labels) is read with the "pvcall" rule.
   - "stray" skips tokens that cannot start a declaration, reporting them once per run. *)
`;

/** grammar/pvop.ebnf's text. */
export function grammarEbnf(parser = new PvopParser()): string {
  const rules = parser.getGAstProductions();
  const syntax = Object.values(rules).map((rule) => `${snake(rule.name)} = ${sequence(rule.definition)} ;`);
  const lexical: string[] = [];
  for (const t of T.ALL_TOKENS) {
    const doc = T.tokenDoc(t);
    if (!doc || /^"[^"]+"$/.test(doc)) continue;
    lexical.push(`${snake(t.name)} = ${doc} ;`);
  }
  lexical.push(`stray_token = (* any token but the keywords that start a declaration *) ;`);
  lexical.push(`keyword = ${T.KEYWORDS.map((k) => T.tokenDoc(k)).join(" | ")} ;`);
  return `${HEADER}\n(* ---- syntax ---- *)\n\n${syntax.join("\n\n")}\n\n(* ---- lexical ---- *)\n\n${lexical.join("\n\n")}\n`;
}

/** grammar/pvop-diagrams.html's text: railroad diagrams of every rule. */
export function grammarDiagrams(parser = new PvopParser()): string {
  return createSyntaxDiagramsCode(parser.getSerializedGastProductions());
}
