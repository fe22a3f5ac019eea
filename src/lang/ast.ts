/**
 * The .pvop syntax tree: what the parser produces and the checker, the formatter and the
 * language server read. Every node has a span (0-based offsets into its SourceFile; the
 * SourceFile turns them into 1-based CLI or 0-based LSP positions). Nodes keep clauses in
 * source order, duplicates included, so that the checker can report them and the formatter
 * can reprint them; a node cut short by a syntax error simply lacks the missing parts.
 */
import type { SourceFile, Span } from "../diag/diagnostic.js";

export interface Ident {
  readonly text: string;
  readonly span: Span;
}

export interface FileAst {
  readonly file: SourceFile;
  readonly declarations: readonly Declaration[];
  /** Every comment, in order (the formatter keeps them). */
  readonly comments: readonly Comment[];
}

export interface Comment {
  readonly text: string;
  readonly span: Span;
  /** `///` comments document the declaration that follows. */
  readonly doc: boolean;
}

interface Decl {
  readonly span: Span;
  /** Text of the `///` comments right above the declaration, without the slashes. */
  readonly doc?: string;
}

export type Declaration =
  | TargetDecl
  | ImportDecl
  | ConstDecl
  | ConventionDecl
  | GroupDecl
  | BackendDecl
  | ScenarioDecl
  | DataDecl
  | ExternDecl;

export interface TargetDecl extends Decl {
  readonly kind: "target";
  readonly name?: Ident;
}

export interface ImportDecl extends Decl {
  readonly kind: "import";
  /** The path as written, without quotes; relative to the importing file. */
  readonly path?: Ident;
}

export interface ConstDecl extends Decl {
  readonly kind: "const";
  readonly name?: Ident;
  readonly value?: Expr;
}

export interface ConventionDecl extends Decl {
  readonly kind: "convention";
  readonly name?: Ident;
  readonly clauses: readonly ConventionClause[];
}

export type ConventionClause =
  | { readonly kind: "args"; readonly registers: readonly Ident[]; readonly span: Span }
  | { readonly kind: "returns"; readonly register?: Ident; readonly span: Span }
  | { readonly kind: "clobbers"; readonly registers: readonly Ident[]; readonly span: Span };

export interface GroupDecl extends Decl {
  readonly kind: "group";
  readonly name?: Ident;
  readonly ops: readonly OpDecl[];
}

export interface OpDecl extends Decl {
  readonly kind: "op";
  readonly name?: Ident;
  readonly params: readonly Param[];
  /** The return type; absent for an op that returns nothing. */
  readonly returns?: Ident;
  readonly clauses: readonly OpClause[];
}

export interface Param {
  readonly name?: Ident;
  readonly type?: Ident;
  readonly span: Span;
}

export type OpClause =
  | { readonly kind: "convention"; readonly name?: Ident; readonly span: Span }
  | { readonly kind: "clobbers"; readonly registers: readonly Ident[]; readonly span: Span }
  | { readonly kind: "native"; readonly body?: AsmBody; readonly span: Span }
  | { readonly kind: "identity"; readonly span: Span }
  | { readonly kind: "nop"; readonly span: Span };

/** A `{ ... }` of AT&T assembly. */
export interface AsmBody {
  /** From `{` to `}` inclusive. */
  readonly span: Span;
  /** The assembly text between the braces: what the assembler reads. */
  readonly inner: Span;
  /** False when the input ended before the closing `}`. */
  readonly terminated: boolean;
}

export interface BackendDecl extends Decl {
  readonly kind: "backend";
  readonly name?: Ident;
  readonly items: readonly (DataDecl | ExternDecl | ImplDecl)[];
}

/** `data NAME: SIZE` (memory every backend can address) or `percpu NAME: SIZE` (%gs-relative). */
export interface DataDecl extends Decl {
  readonly kind: "data";
  readonly percpu: boolean;
  readonly name?: Ident;
  readonly size?: Expr;
}

/** `extern NAME: CONVENTION`: a function bodies may call, and the convention it keeps. */
export interface ExternDecl extends Decl {
  readonly kind: "extern";
  readonly name?: Ident;
  readonly convention?: Ident;
}

export interface ImplDecl extends Decl {
  readonly kind: "impl";
  readonly group?: Ident;
  readonly op?: Ident;
  readonly implementation?: Implementation;
}

export type Implementation =
  | { readonly kind: "asm"; readonly symbol?: Ident; readonly body?: AsmBody; readonly span: Span }
  | { readonly kind: "c"; readonly symbol?: Ident; readonly model?: AsmBody; readonly span: Span };

export interface ScenarioDecl extends Decl {
  readonly kind: "scenario";
  readonly name?: Ident;
  readonly items: readonly ScenarioItem[];
}

export type ScenarioItem =
  | { readonly kind: "init"; readonly backend?: Ident; readonly assignments: readonly Assignment[]; readonly span: Span }
  | { readonly kind: "code"; readonly body?: AsmBody; readonly pvcalls: readonly PvcallStmt[]; readonly span: Span }
  | { readonly kind: "expect"; readonly backend?: Ident; readonly checks: readonly Check[]; readonly span: Span };

/** `pvcall GROUP.OP [, room N] [, clobbers REGS]` inside a scenario's code. */
export interface PvcallStmt {
  readonly group?: Ident;
  readonly op?: Ident;
  readonly room?: Expr;
  readonly clobbers?: readonly Ident[];
  /** The statement, from `pvcall` to its end (what the code generator replaces by a site). */
  readonly span: Span;
}

/** A register (`rbx`), a flag (`rflags.IF`) or memory (`u64[lock + 8]`). */
export type Location =
  | { readonly kind: "register"; readonly name: Ident; readonly field?: Ident; readonly span: Span }
  | { readonly kind: "memory"; readonly type: Ident; readonly address?: Expr; readonly span: Span };

export interface Assignment {
  readonly location: Location;
  readonly value?: Expr;
  readonly span: Span;
}

export interface Check {
  readonly location: Location;
  readonly operator: "==" | "!=";
  readonly value?: Expr;
  readonly span: Span;
}

export type BinaryOperator = "+" | "-" | "*" | "/" | "%" | "<<" | ">>" | "&" | "|";

export type Expr =
  | { readonly kind: "integer"; readonly value: bigint; readonly span: Span }
  | { readonly kind: "name"; readonly name: Ident; readonly span: Span }
  | { readonly kind: "unary"; readonly operator: "-" | "~"; readonly operand?: Expr; readonly span: Span }
  | { readonly kind: "binary"; readonly operator: BinaryOperator; readonly left: Expr; readonly right?: Expr; readonly span: Span };
