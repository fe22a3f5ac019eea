/**
 * The .pvop grammar, as a chevrotain parser that builds the AST directly (embedded actions).
 * This class is the single source of the grammar: grammar/pvop.ebnf and the syntax diagrams
 * are generated from its productions (see grammar-doc.ts), and a test keeps them in step.
 *
 * Recovery is on: chevrotain inserts or deletes single tokens and re-synchronises at rule
 * boundaries, so one run reports every syntax error. Stray tokens between declarations are
 * skipped by the `stray` rule with one error per run of them. Statements inside blocks are
 * separated by `;` or a line break; `separator` reports two statements on one line.
 */
import { EmbeddedActionsParser, EOF, type IParserErrorMessageProvider, type IToken, type ParserMethod, type TokenType } from "chevrotain";
import type { Span } from "../diag/diagnostic.js";
import type {
  AsmBody,
  Assignment,
  BackendDecl,
  BinaryOperator,
  Check,
  ConstDecl,
  ConventionClause,
  ConventionDecl,
  DataDecl,
  Declaration,
  Expr,
  ExternDecl,
  GroupDecl,
  Ident,
  ImplDecl,
  Implementation,
  ImportDecl,
  Location,
  OpClause,
  OpDecl,
  Param,
  PvcallStmt,
  ScenarioDecl,
  ScenarioItem,
  TargetDecl,
} from "./ast.js";
import * as T from "./lexer.js";

const label = (t: TokenType) => t.LABEL ?? t.name;

/** Messages in the project's voice: `expected '}' before 'op'`. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${label(expected)} ${describeFound(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${quote(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const firsts = [...new Set(expectedPathsPerAlt.flat().map((path) => label(path[0]!)))];
    return `expected ${list(firsts)} in ${ruleWords(ruleName)} ${describeFound(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const firsts = [...new Set(expectedIterationPaths.map((path) => label(path[0]!)))];
    return `expected at least one ${list(firsts)} in ${ruleWords(ruleName)} ${describeFound(actual[0]!)}`;
  },
};

function quote(t: IToken): string {
  if (t.tokenType === EOF) return "end of input";
  if (t.tokenType === T.AsmBody) return "assembly body";
  const image = t.image.length > 20 ? `${t.image.slice(0, 20)}...` : t.image;
  return `'${image}'`;
}

function describeFound(t: IToken): string {
  return t.tokenType === EOF ? "at end of input" : `before ${quote(t)}`;
}

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** `opClause` -> `op clause`, for messages. */
function ruleWords(rule: string): string {
  return rule.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/** Tokens that can start a top-level declaration. */
const DECLARATION_STARTS = new Set<TokenType>([T.Target, T.Import, T.Const, T.Convention, T.Group, T.Backend, T.Scenario, T.Data, T.Percpu, T.Extern]);

export interface SeparatorError {
  /** End of the statement that lacks a separator. */
  readonly offset: number;
  readonly next: IToken;
}

export class PvopParser extends EmbeddedActionsParser {
  /** The text being parsed: the separator check looks for line breaks between tokens. */
  text = "";
  readonly separatorErrors: SeparatorError[] = [];
  readonly strayTokens: IToken[] = [];

  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  /** Prepares for a new input (the parser instance is reused: building one is costly). */
  begin(text: string, tokens: IToken[]): void {
    this.text = text;
    this.separatorErrors.length = 0;
    this.strayTokens.length = 0;
    this.input = tokens;
  }

  private span(start: IToken): Span {
    const last = this.LA(0);
    const end = Number.isNaN(last.startOffset) || last.startOffset < start.startOffset ? tokenEnd(start) : tokenEnd(last);
    return { start: start.startOffset, end };
  }

  private ident(t: IToken): Ident | undefined {
    return t.isInsertedInRecovery || Number.isNaN(t.startOffset) ? undefined : { text: t.image, span: tokenSpan(t) };
  }

  /** A name the grammar requires; a recovered (inserted) one is empty, at the end of the previous token. */
  private requiredIdent(t: IToken): Ident {
    if (!t.isInsertedInRecovery && !Number.isNaN(t.startOffset)) return { text: t.image, span: tokenSpan(t) };
    const at = tokenEnd(this.LA(0));
    return { text: "", span: { start: at, end: at } };
  }

  readonly file = this.RULE("file", () => {
    const declarations: Declaration[] = [];
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            const d = this.SUBRULE(this.declaration);
            this.ACTION(() => d && declarations.push(d));
          },
        },
        { ALT: () => this.SUBRULE(this.stray) },
      ]);
    });
    return declarations;
  });

  /** A token that cannot start a declaration; reported once per run. */
  readonly stray = this.RULE("stray", () => {
    const t = this.CONSUME(T.Stray);
    this.ACTION(() => this.strayTokens.push(t));
  });

  readonly declaration = this.RULE("declaration", (): Declaration => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.target) },
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.constant) },
      { ALT: () => this.SUBRULE(this.convention) },
      { ALT: () => this.SUBRULE(this.group) },
      { ALT: () => this.SUBRULE(this.backend) },
      { ALT: () => this.SUBRULE(this.scenario) },
      { ALT: () => this.SUBRULE(this.data) },
      { ALT: () => this.SUBRULE(this.extern) },
    ]);
  });

  readonly target = this.RULE("target", (): TargetDecl => {
    const start = this.CONSUME(T.Target);
    const name = this.CONSUME(T.Name);
    this.SUBRULE(this.separator);
    return this.ACTION(() => ({ kind: "target", name: this.ident(name), span: this.span(start) }));
  });

  readonly importDecl = this.RULE("import", (): ImportDecl => {
    const start = this.CONSUME(T.Import);
    const path = this.CONSUME(T.StringLiteral);
    this.SUBRULE(this.separator);
    return this.ACTION(() => {
      const p = this.ident(path);
      return {
        kind: "import",
        path: p && { text: p.text.slice(1, -1), span: { start: p.span.start + 1, end: p.span.end - 1 } },
        span: this.span(start),
      };
    });
  });

  readonly constant = this.RULE("constant", (): ConstDecl => {
    const start = this.CONSUME(T.Const);
    const name = this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    this.SUBRULE(this.separator);
    return this.ACTION(() => ({ kind: "const", name: this.ident(name), value, span: this.span(start) }));
  });

  readonly convention = this.RULE("convention", (): ConventionDecl => {
    const start = this.CONSUME(T.Convention);
    const name = this.CONSUME(T.Name);
    const clauses: ConventionClause[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const c = this.SUBRULE(this.conventionClause);
      this.ACTION(() => c && clauses.push(c));
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
    return this.ACTION(() => ({ kind: "convention", name: this.ident(name), clauses, span: this.span(start) }));
  });

  readonly conventionClause = this.RULE("conventionClause", (): ConventionClause => {
    return this.OR([
      {
        ALT: () => {
          const start = this.CONSUME(T.Args);
          const registers = this.SUBRULE(this.nameList);
          return this.ACTION(() => ({ kind: "args" as const, registers, span: this.span(start) }));
        },
      },
      {
        ALT: () => {
          const start = this.CONSUME(T.Returns);
          const register = this.CONSUME(T.Name);
          return this.ACTION(() => ({ kind: "returns" as const, register: this.ident(register), span: this.span(start) }));
        },
      },
      {
        ALT: () => {
          const start = this.CONSUME(T.Clobbers);
          const registers = this.SUBRULE2(this.nameList);
          return this.ACTION(() => ({ kind: "clobbers" as const, registers, span: this.span(start) }));
        },
      },
    ]);
  });

  /** Registers or other names, comma separated (`none` and `all` are names here). */
  readonly nameList = this.RULE("nameList", (): Ident[] => {
    const names: Ident[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const t = this.CONSUME(T.Name);
        this.ACTION(() => {
          const id = this.ident(t);
          if (id) names.push(id);
        });
      },
    });
    return names;
  });

  readonly group = this.RULE("group", (): GroupDecl => {
    const start = this.CONSUME(T.Group);
    const name = this.CONSUME(T.Name);
    const ops: OpDecl[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const op = this.SUBRULE(this.op);
      this.ACTION(() => op && ops.push(op));
    });
    this.CONSUME(T.RCurly);
    return this.ACTION(() => ({ kind: "group", name: this.ident(name), ops, span: this.span(start) }));
  });

  readonly op = this.RULE("op", (): OpDecl => {
    const start = this.CONSUME(T.Op);
    const name = this.CONSUME(T.Name);
    const params: Param[] = [];
    const clauses: OpClause[] = [];
    let returns: IToken | undefined;
    this.CONSUME(T.LParen);
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const p = this.SUBRULE(this.parameter);
        this.ACTION(() => p && params.push(p));
      },
    });
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      returns = this.CONSUME2(T.Name);
    });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LCurly);
          this.MANY(() => {
            const c = this.SUBRULE(this.opClause);
            this.ACTION(() => c && clauses.push(c));
            this.SUBRULE(this.separator);
          });
          this.CONSUME(T.RCurly);
        },
      },
      { ALT: () => this.SUBRULE2(this.separator) },
    ]);
    return this.ACTION(() => ({
      kind: "op",
      name: this.ident(name),
      params,
      returns: returns && this.ident(returns),
      clauses,
      span: this.span(start),
    }));
  });

  readonly parameter = this.RULE("parameter", (): Param => {
    const name = this.CONSUME(T.Name);
    this.CONSUME(T.Colon);
    const type = this.CONSUME2(T.Name);
    return this.ACTION(() => ({ name: this.ident(name), type: this.ident(type), span: this.span(name) }));
  });

  readonly opClause = this.RULE("opClause", (): OpClause => {
    return this.OR([
      {
        ALT: () => {
          const start = this.CONSUME(T.Convention);
          const name = this.CONSUME(T.Name);
          return this.ACTION(() => ({ kind: "convention" as const, name: this.ident(name), span: this.span(start) }));
        },
      },
      {
        ALT: () => {
          const start = this.CONSUME(T.Clobbers);
          const registers = this.SUBRULE(this.nameList);
          return this.ACTION(() => ({ kind: "clobbers" as const, registers, span: this.span(start) }));
        },
      },
      {
        ALT: () => {
          const start = this.CONSUME(T.Native);
          const body = this.CONSUME(T.AsmBody);
          return this.ACTION(() => ({ kind: "native" as const, body: asmBody(body), span: this.span(start) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.Identity);
          return this.ACTION(() => ({ kind: "identity" as const, span: tokenSpan(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.Nop);
          return this.ACTION(() => ({ kind: "nop" as const, span: tokenSpan(t) }));
        },
      },
    ]);
  });

  readonly backend = this.RULE("backend", (): BackendDecl => {
    const start = this.CONSUME(T.Backend);
    const name = this.CONSUME(T.Name);
    const items: (DataDecl | ExternDecl | ImplDecl)[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const item = this.OR([{ ALT: () => this.SUBRULE(this.data) }, { ALT: () => this.SUBRULE(this.extern) }, { ALT: () => this.SUBRULE(this.impl) }]);
      this.ACTION(() => item && items.push(item));
    });
    this.CONSUME(T.RCurly);
    return this.ACTION(() => ({ kind: "backend", name: this.ident(name), items, span: this.span(start) }));
  });

  readonly data = this.RULE("data", (): DataDecl => {
    const start = this.OR([{ ALT: () => this.CONSUME(T.Data) }, { ALT: () => this.CONSUME(T.Percpu) }]);
    const name = this.CONSUME(T.Name);
    this.CONSUME(T.Colon);
    const size = this.SUBRULE(this.expression);
    this.SUBRULE(this.separator);
    return this.ACTION(() => ({ kind: "data", percpu: start.tokenType === T.Percpu, name: this.ident(name), size, span: this.span(start) }));
  });

  readonly extern = this.RULE("extern", (): ExternDecl => {
    const start = this.CONSUME(T.Extern);
    const name = this.CONSUME(T.Name);
    let convention: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      convention = this.CONSUME2(T.Name);
    });
    this.SUBRULE(this.separator);
    return this.ACTION(() => ({
      kind: "extern",
      name: this.ident(name),
      convention: convention && this.ident(convention),
      span: this.span(start),
    }));
  });

  readonly impl = this.RULE("impl", (): ImplDecl => {
    const start = this.CONSUME(T.Impl);
    const group = this.CONSUME(T.Name);
    this.CONSUME(T.Dot);
    const op = this.CONSUME2(T.Name);
    this.CONSUME(T.Equals);
    const implementation = this.SUBRULE(this.implementation);
    this.SUBRULE(this.separator);
    return this.ACTION(() => ({ kind: "impl", group: this.ident(group), op: this.ident(op), implementation, span: this.span(start) }));
  });

  readonly implementation = this.RULE("implementation", (): Implementation => {
    return this.OR([
      {
        ALT: () => {
          const start = this.CONSUME(T.Asm);
          const symbol = this.CONSUME(T.Name);
          const body = this.CONSUME(T.AsmBody);
          return this.ACTION(() => ({ kind: "asm" as const, symbol: this.ident(symbol), body: asmBody(body), span: this.span(start) }));
        },
      },
      {
        ALT: () => {
          const start = this.CONSUME(T.C);
          const symbol = this.CONSUME2(T.Name);
          // An optional model of the function's code: the thunk then saves only what it writes.
          const model = this.OPTION(() => this.CONSUME2(T.AsmBody));
          return this.ACTION(() => ({ kind: "c" as const, symbol: this.ident(symbol), model: model && asmBody(model), span: this.span(start) }));
        },
      },
    ]);
  });

  readonly scenario = this.RULE("scenario", (): ScenarioDecl => {
    const start = this.CONSUME(T.Scenario);
    const name = this.CONSUME(T.Name);
    const items: ScenarioItem[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const item = this.OR([{ ALT: () => this.SUBRULE(this.init) }, { ALT: () => this.SUBRULE(this.code) }, { ALT: () => this.SUBRULE(this.expect) }]);
      this.ACTION(() => item && items.push(item));
    });
    this.CONSUME(T.RCurly);
    return this.ACTION(() => ({ kind: "scenario", name: this.ident(name), items, span: this.span(start) }));
  });

  readonly init = this.RULE("init", (): ScenarioItem => {
    const block = this.backendBlock(T.Init, this.assignment);
    return this.ACTION(() => ({ kind: "init" as const, backend: block.backend, assignments: block.entries, span: this.span(block.start) }));
  });

  /** The body's pvcall statements are parsed afterwards with the `pvcall` rule (see parse.ts). */
  readonly code = this.RULE("code", (): ScenarioItem => {
    const start = this.CONSUME(T.Code);
    const body = this.CONSUME(T.AsmBody);
    return this.ACTION(() => ({ kind: "code" as const, body: asmBody(body), pvcalls: [], span: this.span(start) }));
  });

  readonly expect = this.RULE("expect", (): ScenarioItem => {
    const block = this.backendBlock(T.Expect, this.check);
    return this.ACTION(() => ({ kind: "expect" as const, backend: block.backend, checks: block.entries, span: this.span(block.start) }));
  });

  /** `KEYWORD [BACKEND] { ENTRY ... }`: the init and expect blocks of a scenario. */
  private backendBlock<E>(keyword: TokenType, entry: ParserMethod<[], E>): { start: IToken; backend?: Ident; entries: E[] } {
    const start = this.CONSUME(keyword);
    let backend: IToken | undefined;
    const entries: E[] = [];
    this.OPTION(() => {
      backend = this.CONSUME(T.Name);
    });
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const e = this.SUBRULE(entry);
      this.ACTION(() => e && entries.push(e));
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
    return { start, backend: backend && this.ident(backend), entries };
  }

  readonly assignment = this.RULE("assignment", (): Assignment => {
    const start = this.LA(1);
    const location = this.SUBRULE(this.location);
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ location, value, span: this.span(start) }));
  });

  readonly check = this.RULE("check", (): Check => {
    const start = this.LA(1);
    const location = this.SUBRULE(this.location);
    const operator = this.OR([{ ALT: () => this.CONSUME(T.EqualEqual) }, { ALT: () => this.CONSUME(T.NotEqual) }]);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ location, operator: operator.image as "==" | "!=", value, span: this.span(start) }));
  });

  /** `rbx`, `rflags.IF`, or memory: `u64[symbol + offset]`. */
  readonly location = this.RULE("location", (): Location => {
    const name = this.CONSUME(T.Name);
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          const address = this.SUBRULE(this.expression);
          this.CONSUME(T.RBracket);
          return this.ACTION(() => ({ kind: "memory" as const, type: this.requiredIdent(name), address, span: this.span(name) }));
        },
      },
      {
        ALT: () => {
          let field: IToken | undefined;
          this.OPTION(() => {
            this.CONSUME(T.Dot);
            field = this.CONSUME2(T.Name);
          });
          return this.ACTION(() => ({
            kind: "register" as const,
            name: this.requiredIdent(name),
            field: field && this.ident(field),
            span: this.span(name),
          }));
        },
      },
    ]);
  });

  /** A statement of a scenario's code body: `pvcall GROUP.OP [, room N] [, clobbers REGS]`. */
  readonly pvcall = this.RULE("pvcall", (): PvcallStmt => {
    const start = this.CONSUME(T.Pvcall);
    const group = this.CONSUME(T.Name);
    this.CONSUME(T.Dot);
    const op = this.CONSUME2(T.Name);
    let room: Expr | undefined;
    let clobbers: Ident[] | undefined;
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Room);
            room = this.SUBRULE(this.expression);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Clobbers);
            clobbers = this.SUBRULE(this.nameList);
          },
        },
      ]);
    });
    return this.ACTION(() => ({ group: this.ident(group), op: this.ident(op), room, clobbers, span: this.span(start) }));
  });

  /** A statement ends at `;` or a line break; two on one line without `;` is an error. */
  readonly separator = this.RULE("separator", () => {
    let semicolon = false;
    this.OPTION(() => {
      this.CONSUME(T.Semicolon);
      semicolon = true;
    });
    this.ACTION(() => {
      if (semicolon) return;
      const next = this.LA(1);
      const last = this.LA(0);
      if (next.tokenType === EOF || next.tokenType === T.RCurly || Number.isNaN(last.startOffset)) return;
      if (!this.text.slice(tokenEnd(last), next.startOffset).includes("\n")) this.separatorErrors.push({ offset: tokenEnd(last), next });
    });
  });

  // Expressions, lowest precedence first: | & << >> + - * / % and unary - ~.
  readonly expression: ParserMethod<[], Expr> = this.RULE("expression", () => this.binary(this.bitAnd, [T.Pipe]));
  readonly bitAnd: ParserMethod<[], Expr> = this.RULE("bitAnd", () => this.binary(this.shift, [T.Ampersand]));
  readonly shift: ParserMethod<[], Expr> = this.RULE("shift", () => this.binary(this.sum, [T.ShiftLeft, T.ShiftRight]));
  readonly sum: ParserMethod<[], Expr> = this.RULE("sum", () => this.binary(this.product, [T.Plus, T.Minus]));
  readonly product: ParserMethod<[], Expr> = this.RULE("product", () => this.binary(this.unary, [T.Star, T.Slash, T.Percent]));

  /** One precedence level, left-associative: `operand { operator operand }`. */
  private binary(operand: ParserMethod<[], Expr>, operators: TokenType[]): Expr {
    const start = this.LA(1);
    let left = this.SUBRULE(operand);
    this.MANY(() => {
      const operator = this.OR(operators.map((t) => ({ ALT: () => this.CONSUME(t) })));
      const right = this.SUBRULE2(operand);
      this.ACTION(() => {
        left = { kind: "binary", operator: operator.image as BinaryOperator, left, right, span: this.span(start) };
      });
    });
    return left;
  }

  readonly unary = this.RULE("unary", (): Expr => {
    const operators: IToken[] = [];
    this.MANY(() => {
      const t = this.OR([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Tilde) }]);
      this.ACTION(() => operators.push(t));
    });
    const operand = this.SUBRULE(this.primary);
    return this.ACTION(() =>
      operators.reduceRight<Expr>(
        (inner, t) => ({ kind: "unary", operator: t.image as "-" | "~", operand: inner, span: { start: t.startOffset, end: inner?.span.end ?? tokenEnd(t) } }),
        operand,
      ),
    );
  });

  readonly primary = this.RULE("primary", (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(T.Integer);
          return this.ACTION(() => ({ kind: "integer" as const, value: BigInt(t.image.replace(/_/g, "")), span: tokenSpan(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.Name);
          return this.ACTION(() => ({ kind: "name" as const, name: this.requiredIdent(t), span: tokenSpan(t) }));
        },
      },
      {
        ALT: () => {
          const start = this.CONSUME(T.LParen);
          const inner = this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
          return this.ACTION(() => inner && { ...inner, span: this.span(start) });
        },
      },
    ]);
  });
}

/** One past the token's last character (the lexer tracks only start offsets). */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

export function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: tokenEnd(t) };
}

function asmBody(t: IToken): AsmBody | undefined {
  if (t.isInsertedInRecovery || Number.isNaN(t.startOffset)) return undefined;
  const terminated = t.image.length >= 2 && t.image.endsWith("}");
  const span = tokenSpan(t);
  return { span, inner: { start: span.start + 1, end: terminated ? span.end - 1 : span.end }, terminated };
}

export { DECLARATION_STARTS };
