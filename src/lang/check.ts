/**
 * check(): a .pvop file (and what it imports) to a resolved Model plus diagnostics. The
 * checker never throws on bad input: every mistake becomes a Diagnostic with its own PV2xxx
 * code and the span of the culprit, and checking goes on so that one run reports them all.
 */
import { error, note, warning, type Diagnostic, type SourceFile, type Span } from "../diag/diagnostic.js";
import {
  BUILTIN_CONVENTIONS,
  CLBR_ANY,
  CLBR_NONE,
  clobberBit,
  CLOBBERABLE,
  CONVENTION_C,
  describeMask,
  registersOfMask,
  sameConvention,
  thunkSaves,
} from "../pvop/abi.js";
import { appendAll } from "../util/array.js";
import { FLAGS, SINGLE_BIT_FLAGS } from "../x86/flags.js";
import { registerByName, type Register } from "../x86/registers.js";
import type * as A from "./ast.js";
import { assembleRange, checkBody, checkNotEmpty, type BodySymbol, type Substitution } from "./body.js";
import { CODES } from "./codes.js";
import type * as M from "./model.js";
import { VALUE_TYPES } from "./model.js";
import { parse } from "./parse.js";

export interface CheckOptions {
  /**
   * Reads an imported file: `path` as written, relative to `from`. Return undefined when it
   * cannot be read. Without it every import is reported as unreadable (in-memory checking).
   */
  readonly readImport?: (path: string, from: SourceFile) => SourceFile | undefined;
}

export interface CheckResult {
  /** Complete only when `diagnostics` holds no error. */
  readonly model: M.Model;
  /** The syntax tree of the checked file first, then of each imported file. */
  readonly asts: readonly A.FileAst[];
  readonly diagnostics: Diagnostic[];
}

/** The smallest pvcall site: `call *pv_ops+OFF(%rip)` is ff 15 disp32. */
export const CALL_SITE_LENGTH = 6;
/** The patch record stores a site's length in a byte. */
export const MAX_ROOM = 255;

const TWO_64 = 1n << 64n;

export function check(file: SourceFile, options: CheckOptions = {}): CheckResult {
  return new Checker(options).run(file);
}

interface Located<D> {
  readonly decl: D;
  readonly file: SourceFile;
}

type Symbol =
  | { readonly kind: "data"; readonly data: M.DataSymbol }
  | { readonly kind: "function"; readonly convention: M.ModelConvention; readonly file: SourceFile; readonly span: Span };

class Checker {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly asts: A.FileAst[] = [];
  private readonly declarations: Located<A.Declaration>[] = [];
  private readonly loading: string[] = [];
  private readonly loaded = new Set<string>();
  /** After a failed import, names it would have declared are unknown: say nothing about them. */
  private importFailed = false;

  private readonly constants = new Map<string, { located: Located<A.ConstDecl>; value?: bigint; state: "pending" | "busy" | "done" }>();
  private readonly conventions = new Map<string, M.ModelConvention>();
  private readonly groups: M.Group[] = [];
  private readonly ops: M.Op[] = [];
  /** Ops by group and name; null for an op declared with errors (known, so no cascade of "unknown op"). */
  private readonly opsByName = new Map<string, Map<string, M.Op | null>>();
  /** Every symbol defined anywhere: the object files share one namespace. */
  private readonly symbols = new Map<string, { symbol: Symbol; backend?: string; file: SourceFile; span: Span }>();
  /** Generated thunk names (one per C function, shared by the backends that bind it). */
  private readonly thunkOwners = new Set<string>();
  private readonly topData: M.DataSymbol[] = [];
  private readonly topExterns: M.ExternFunction[] = [];
  private readonly backends: M.Backend[] = [];
  private readonly scenarios: M.Scenario[] = [];
  /** The longest site that calls each op (by type), for the never-inlined warning. */
  private readonly longestSite = new Map<number, number>();
  private readonly nativeBodies: { op: M.Op; code: M.AssembledCode }[] = [];

  constructor(private readonly options: CheckOptions) {
    for (const c of BUILTIN_CONVENTIONS) this.conventions.set(c.name, { ...c, builtin: true });
  }

  run(file: SourceFile): CheckResult {
    this.load(file);
    const located = <K extends A.Declaration["kind"]>(kind: K) =>
      this.declarations.filter((d): d is Located<Extract<A.Declaration, { kind: K }>> => d.decl.kind === kind);
    for (const c of located("const")) this.declareConstant(c);
    for (const c of this.constants.keys()) this.constant(c);
    for (const t of located("target")) this.target(t);
    for (const c of located("convention")) this.convention(c);
    for (const d of this.declarations) {
      if (d.decl.kind === "data") appendAll(this.topData, this.data({ decl: d.decl, file: d.file }, undefined));
      if (d.decl.kind === "extern") appendAll(this.topExterns, this.extern({ decl: d.decl, file: d.file }, undefined));
    }
    for (const g of located("group")) this.group(g);
    this.backends.push({ name: "native", builtin: true, bindings: [], data: [], externs: [] });
    for (const b of located("backend")) this.backend(b);
    for (const s of located("scenario")) this.scenario(s);
    this.warnNeverInlined();

    const model: M.Model = {
      target: "x86_64",
      files: this.asts.map((a) => a.file),
      conventions: this.conventions,
      constants: new Map(
        [...this.constants].flatMap(([name, c]) =>
          c.value === undefined ? [] : [[name, { name, value: c.value, file: c.located.file, span: c.located.decl.span, doc: c.located.decl.doc }]],
        ),
      ),
      groups: this.groups,
      ops: this.ops,
      data: this.topData,
      externs: this.topExterns,
      backends: this.backends,
      scenarios: this.scenarios,
    };
    return { model, asts: this.asts, diagnostics: this.diagnostics };
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  private err(code: string, message: string, file: SourceFile, span: Span, related?: Diagnostic[]): void {
    this.report(error(code, message, file, span, related));
  }

  // ---- files and imports ----

  private load(file: SourceFile): void {
    this.loading.push(file.name);
    this.loaded.add(file.name);
    const parsed = parse(file);
    this.asts.push(parsed.ast);
    appendAll(this.diagnostics, parsed.diagnostics);
    for (const decl of parsed.ast.declarations) {
      if (decl.kind !== "import") {
        this.declarations.push({ decl, file });
        continue;
      }
      if (!decl.path) continue;
      const imported = this.options.readImport?.(decl.path.text, file);
      if (!imported) {
        this.importFailed = true;
        this.err(CODES.importFailed, `cannot read imported file '${decl.path.text}'`, file, decl.path.span);
      } else if (this.loading.includes(imported.name)) {
        this.err(CODES.importCycle, `import cycle: '${imported.name}' imports itself through ${[...this.loading.slice(this.loading.indexOf(imported.name) + 1)].map((n) => `'${n}'`).join(", ") || "itself"}`, file, decl.path.span);
      } else if (!this.loaded.has(imported.name)) {
        this.load(imported);
      }
    }
    this.loading.pop();
  }

  // ---- names ----

  private duplicate(code: string, what: string, name: A.Ident, file: SourceFile, previous: { file: SourceFile; span: Span }): void {
    this.err(code, `duplicate ${what} '${name.text}'`, file, name.span, [note(code, "previous definition is here", previous.file, previous.span)]);
  }

  private resolveConvention(name: A.Ident, file: SourceFile): M.ModelConvention | undefined {
    const c = this.conventions.get(name.text);
    if (!c && !this.importFailed) this.err(CODES.unknownConvention, `unknown convention '${name.text}' (known: ${[...this.conventions.keys()].join(", ")})`, file, name.span);
    return c;
  }

  private resolveOp(group: A.Ident | undefined, op: A.Ident | undefined, file: SourceFile, code: { group: string; op: string }): M.Op | undefined {
    if (!group || !op) return undefined;
    const ops = this.opsByName.get(group.text);
    if (!ops) {
      if (!this.importFailed) this.err(code.group, `unknown group '${group.text}'`, file, group.span);
      return undefined;
    }
    const found = ops.get(op.text);
    if (found === undefined) this.err(code.op, `group '${group.text}' has no op '${op.text}'`, file, { start: group.span.start, end: op.span.end });
    return found ?? undefined;
  }

  // ---- constants and expressions ----

  private declareConstant(c: Located<A.ConstDecl>): void {
    const name = c.decl.name;
    if (!name) return;
    const previous = this.constants.get(name.text);
    if (previous) {
      this.duplicate(CODES.duplicateConstant, "constant", name, c.file, { file: previous.located.file, span: previous.located.decl.name!.span });
      return;
    }
    this.constants.set(name.text, { located: c, state: "pending" });
  }

  private constant(name: string): bigint | undefined {
    const c = this.constants.get(name)!;
    if (c.state === "done") return c.value;
    const decl = c.located.decl;
    if (c.state === "busy") {
      this.err(CODES.unknownName, `constant '${name}' is defined in terms of itself`, c.located.file, decl.name!.span);
      c.state = "done";
      return undefined;
    }
    c.state = "busy";
    const v = decl.value && this.number(decl.value, c.located.file);
    c.state = "done";
    c.value = v;
    return v;
  }

  /** A constant expression: numbers and constants only. */
  private number(expr: A.Expr, file: SourceFile): bigint | undefined {
    const v = this.evaluate(expr, file, (name) => this.symbols.get(name)?.symbol.kind === "data");
    if (v?.symbol !== undefined) {
      this.err(CODES.notConstant, `'${v.symbol}' is an address; a constant is needed here`, file, expr.span);
      return undefined;
    }
    return v?.addend;
  }

  /** Evaluates an expression; names are constants, then whatever `symbol` accepts as an address. */
  private evaluate(expr: A.Expr, file: SourceFile, symbol: (name: string) => boolean | undefined): M.Value | undefined {
    switch (expr.kind) {
      case "integer":
        return this.inRange({ addend: expr.value }, expr, file);
      case "name": {
        const name = expr.name.text;
        if (this.constants.has(name)) {
          const v = this.constant(name);
          return v === undefined ? undefined : { addend: v };
        }
        if (symbol(name)) return { symbol: name, addend: 0n };
        this.err(CODES.unknownName, `unknown name '${name}': not a constant${symbol(name) === false ? " or a data symbol" : ""}`, file, expr.span);
        return undefined;
      }
      case "unary": {
        const v = expr.operand && this.evaluate(expr.operand, file, symbol);
        if (!v) return undefined;
        if (v.symbol !== undefined) return this.addressMisuse(v.symbol, expr, file);
        return this.inRange({ addend: expr.operator === "-" ? -v.addend : ~v.addend }, expr, file);
      }
      case "binary": {
        const l = this.evaluate(expr.left, file, symbol);
        const r = expr.right && this.evaluate(expr.right, file, symbol);
        if (!l || !r) return undefined;
        if (l.symbol !== undefined || r.symbol !== undefined) {
          if (expr.operator === "+" && (l.symbol === undefined || r.symbol === undefined)) return { symbol: l.symbol ?? r.symbol, addend: l.addend + r.addend };
          if (expr.operator === "-" && r.symbol === undefined) return { symbol: l.symbol, addend: l.addend - r.addend };
          return this.addressMisuse((l.symbol ?? r.symbol)!, expr, file);
        }
        const a = l.addend;
        const b = r.addend;
        switch (expr.operator) {
          case "+":
            return this.inRange({ addend: a + b }, expr, file);
          case "-":
            return this.inRange({ addend: a - b }, expr, file);
          case "*":
            return this.inRange({ addend: a * b }, expr, file);
          case "/":
          case "%":
            if (b === 0n) {
              this.err(CODES.divisionByZero, "division by zero", file, expr.span);
              return undefined;
            }
            return { addend: expr.operator === "/" ? a / b : a % b };
          case "<<":
          case ">>":
            if (b < 0n || b > 63n) {
              this.err(CODES.valueOutOfRange, `shift count ${b} is outside 0..63`, file, expr.right!.span);
              return undefined;
            }
            return this.inRange({ addend: expr.operator === "<<" ? a << b : a >> b }, expr, file);
          case "&":
            return { addend: a & b };
          case "|":
            return { addend: a | b };
        }
      }
    }
  }

  private addressMisuse(symbol: string, expr: A.Expr, file: SourceFile): undefined {
    this.err(CODES.notConstant, `'${symbol}' is an address: it can only have a number added or subtracted`, file, expr.span);
    return undefined;
  }

  private inRange(v: M.Value, expr: A.Expr, file: SourceFile): M.Value | undefined {
    if (v.addend >= -(TWO_64 >> 1n) && v.addend < TWO_64) return v;
    this.err(CODES.valueOutOfRange, "value does not fit in 64 bits", file, expr.span);
    return undefined;
  }

  // ---- target and conventions ----

  private target({ decl, file }: Located<A.TargetDecl>): void {
    if (!decl.name || decl.name.text === "x86_64") return;
    const later = decl.name.text === "i386" ? " (i386 is planned but not supported yet)" : "";
    this.err(CODES.unknownTarget, `unknown target '${decl.name.text}'; pvopc compiles for x86_64${later}`, file, decl.name.span);
  }

  /** Resolves a clobber list to a CLBR mask; `none` and `all` stand alone. */
  private clobberList(names: readonly A.Ident[], file: SourceFile): number | undefined {
    if (names.length === 1 && names[0]!.text === "none") return CLBR_NONE;
    if (names.length === 1 && names[0]!.text === "all") return CLBR_ANY;
    let mask = 0;
    let ok = true;
    for (const n of names) {
      if (n.text === "none" || n.text === "all") {
        this.err(CODES.notClobberable, `'${n.text}' stands alone in a clobber set; it cannot be combined with registers`, file, n.span);
        ok = false;
        continue;
      }
      const reg = this.register(n, file);
      if (!reg) {
        ok = false;
        continue;
      }
      const bit = clobberBit(reg);
      if (bit === undefined) {
        const full = registerByName(reg.name) && reg.bits !== 64 && reg.cls.startsWith("gpr") ? ` (write the 64-bit register instead)` : "";
        this.err(
          CODES.notClobberable,
          `'${n.text}' cannot be in a clobber set: only ${CLOBBERABLE.map((r) => r.name).join(", ")} can; rbx, rbp, rsp and r12-r15 survive every call${full}`,
          file,
          n.span,
        );
        ok = false;
        continue;
      }
      mask |= bit;
    }
    return ok ? mask : undefined;
  }

  private register(name: A.Ident, file: SourceFile): Register | undefined {
    const reg = registerByName(name.text.replace(/^%/, ""));
    if (!reg) this.err(CODES.unknownRegister, `unknown register '${name.text}'`, file, name.span);
    return reg;
  }

  /** A register that carries an argument or a return value: a 64-bit general register but rsp. */
  private valueRegister(name: A.Ident, file: SourceFile, role: string): Register | undefined {
    const reg = this.register(name, file);
    if (!reg) return undefined;
    if (reg.cls !== "gpr64" || reg.name === "rsp") {
      this.err(CODES.invalidArgumentRegister, `'${name.text}' cannot ${role}: use a 64-bit general register other than rsp`, file, name.span);
      return undefined;
    }
    return reg;
  }

  private single<C extends { kind: string; span: Span }>(clauses: readonly C[], kind: C["kind"], file: SourceFile, owner: string): C | undefined {
    const all = clauses.filter((c) => c.kind === kind);
    for (const extra of all.slice(1)) {
      this.err(CODES.duplicateClause, `${owner} has more than one '${kind}' clause`, file, extra.span, [note(CODES.duplicateClause, "the first one is here", file, all[0]!.span)]);
    }
    return all[0];
  }

  private convention({ decl, file }: Located<A.ConventionDecl>): void {
    const name = decl.name;
    if (!name) return;
    const owner = `convention '${name.text}'`;
    const args = this.single(decl.clauses, "args", file, owner) as Extract<A.ConventionClause, { kind: "args" }> | undefined;
    const returns = this.single(decl.clauses, "returns", file, owner) as Extract<A.ConventionClause, { kind: "returns" }> | undefined;
    const clobbers = this.single(decl.clauses, "clobbers", file, owner) as Extract<A.ConventionClause, { kind: "clobbers" }> | undefined;
    const missing = [!args && "args", !returns && "returns", !clobbers && "clobbers"].filter(Boolean);
    if (missing.length) {
      this.err(CODES.incompleteConvention, `${owner} does not say ${missing.map((m) => `'${m}'`).join(" or ")}`, file, name.span);
    }
    const argRegs: Register[] = [];
    let ok = missing.length === 0;
    if (args && !(args.registers.length === 1 && args.registers[0]!.text === "none")) {
      for (const a of args.registers) {
        const reg = this.valueRegister(a, file, "carry an argument");
        if (!reg) ok = false;
        else if (argRegs.includes(reg)) {
          this.err(CODES.invalidArgumentRegister, `'${a.text}' carries two arguments`, file, a.span);
          ok = false;
        } else argRegs.push(reg);
      }
    }
    const returnReg = returns?.register && this.valueRegister(returns.register, file, "carry a return value");
    const mask = clobbers && this.clobberList(clobbers.registers, file);
    if (!ok || !returnReg || mask === undefined) return;
    if ((mask & clobberBit(returnReg)!) === 0 && clobberBit(returnReg) !== undefined) {
      this.err(CODES.returnNotClobbered, `${owner} returns in ${returnReg.name} but does not let a callee clobber ${returnReg.name}`, file, returns!.span);
    }
    const convention: M.ModelConvention = { name: name.text, args: argRegs, returns: returnReg, clobbers: mask, builtin: false, file, span: name.span, doc: decl.doc };
    const existing = this.conventions.get(name.text);
    if (existing?.builtin && !existing.file) {
      if (!sameConvention(existing, convention)) {
        this.err(
          CODES.builtinRestated,
          `convention '${name.text}' restates the built-in differently: built-in is ${describeConvention(existing)}; this says ${describeConvention(convention)}`,
          file,
          name.span,
        );
      } else this.conventions.set(name.text, { ...existing, file, span: name.span, doc: decl.doc });
      return;
    }
    if (existing) {
      this.duplicate(CODES.duplicateConvention, "convention", name, file, { file: existing.file!, span: existing.span! });
      return;
    }
    this.conventions.set(name.text, convention);
  }

  // ---- symbols ----

  private defineSymbol(name: A.Ident, symbol: Symbol, file: SourceFile, backend: string | undefined, code: string, what: string): boolean {
    const previous = this.symbols.get(name.text);
    if (previous) {
      this.duplicate(code, what, name, file, previous);
      return false;
    }
    this.symbols.set(name.text, { symbol, backend, file, span: name.span });
    return true;
  }

  private data({ decl, file }: Located<A.DataDecl>, backend: string | undefined): M.DataSymbol[] {
    if (!decl.name || !decl.size) return [];
    const size = this.number(decl.size, file);
    if (size === undefined) return [];
    if (size <= 0n || size > 1n << 32n) {
      this.err(CODES.valueOutOfRange, `size of '${decl.name.text}' is ${size}; it must be between 1 and 4 GiB`, file, decl.size.span);
      return [];
    }
    const data: M.DataSymbol = { name: decl.name.text, size: Number(size), percpu: decl.percpu, backend, file, span: decl.name.span, doc: decl.doc };
    return this.defineSymbol(decl.name, { kind: "data", data }, file, backend, CODES.duplicateData, decl.percpu ? "percpu symbol" : "data symbol") ? [data] : [];
  }

  private extern({ decl, file }: Located<A.ExternDecl>, backend: string | undefined): M.ExternFunction[] {
    if (!decl.name) return [];
    const convention = decl.convention ? this.resolveConvention(decl.convention, file) : this.conventions.get(CONVENTION_C.name)!;
    if (!convention) return [];
    const fn: M.ExternFunction = { name: decl.name.text, convention, backend, file, span: decl.name.span };
    return this.defineSymbol(decl.name, { kind: "function", convention, file, span: decl.name.span }, file, backend, CODES.duplicateFunction, "function")
      ? [fn]
      : [];
  }

  /** What a body may reference: top-level symbols, plus its backend's. */
  private bodyLookup(backend: string | undefined): (name: string) => BodySymbol | undefined {
    return (name) => {
      const s = this.symbols.get(name);
      if (!s || (s.backend !== undefined && s.backend !== backend)) return undefined;
      if (s.symbol.kind === "data") return { kind: s.symbol.data.percpu ? "percpu" : "data" };
      return { kind: "function", clobbers: s.symbol.convention.clobbers };
    };
  }

  // ---- groups and ops ----

  private group({ decl, file }: Located<A.GroupDecl>): void {
    const name = decl.name;
    if (!name) return;
    const previous = this.groups.find((g) => g.name === name.text);
    if (previous) {
      this.duplicate(CODES.duplicateGroup, "group", name, file, previous);
      return;
    }
    const ops: M.Op[] = [];
    const byName = new Map<string, M.Op | null>();
    this.opsByName.set(name.text, byName);
    const seen = new Map<string, Span>();
    for (const o of decl.ops) {
      if (!o.name) continue;
      const first = seen.get(o.name.text);
      if (first) {
        this.duplicate(CODES.duplicateOp, `op in group '${name.text}':`, o.name, file, { file, span: first });
        continue;
      }
      seen.set(o.name.text, o.name.span);
      const op = this.op(o, name.text, file);
      byName.set(o.name.text, op ?? null);
      if (!op) continue;
      ops.push(op);
      this.ops.push(op);
    }
    this.groups.push({ name: name.text, ops, file, span: name.span, doc: decl.doc });
  }

  private op(decl: A.OpDecl, group: string, file: SourceFile): M.Op | undefined {
    const name = decl.name!;
    const qualifiedName = `${group}.${name.text}`;
    const owner = `op '${qualifiedName}'`;
    let ok = true;

    const conventionClause = this.single(decl.clauses, "convention", file, owner) as Extract<A.OpClause, { kind: "convention" }> | undefined;
    const convention = conventionClause?.name ? this.resolveConvention(conventionClause.name, file) : this.conventions.get(CONVENTION_C.name)!;
    if (!convention) return undefined;

    const params: M.Param[] = [];
    const names = new Map<string, Span>();
    decl.params.forEach((p, i) => {
      if (!p.name || !p.type) return (ok = false);
      const first = names.get(p.name.text);
      if (first) {
        this.duplicate(CODES.duplicateParameter, `parameter of ${owner}:`, p.name, file, { file, span: first });
        ok = false;
      }
      names.set(p.name.text, p.name.span);
      const type = this.type(p.type, file);
      const register = convention.args[i];
      if (i === convention.args.length) {
        this.err(
          CODES.tooManyArguments,
          `${owner} has ${decl.params.length} parameters but convention '${convention.name}' passes at most ${convention.args.length} in registers (${convention.args.map((r) => r.name).join(", ") || "none"})`,
          file,
          p.span,
        );
      }
      if (!type || !register) return (ok = false);
      params.push({ name: p.name.text, type, register });
    });
    const returns = decl.returns && this.type(decl.returns, file);
    if (decl.returns && !returns) ok = false;

    const clobbersClause = this.single(decl.clauses, "clobbers", file, owner) as Extract<A.OpClause, { kind: "clobbers" }> | undefined;
    let clobbers = convention.clobbers;
    if (clobbersClause) {
      const mask = this.clobberList(clobbersClause.registers, file);
      if (mask === undefined) ok = false;
      else clobbers = mask;
    }
    const returnBit = clobberBit(convention.returns)!;
    if (returns && (clobbers & returnBit) === 0) {
      this.err(
        CODES.returnNotClobbered,
        `${owner} returns a value in ${convention.returns.name}, but its clobber set (${describeMask(clobbers)}) does not include ${convention.returns.name}`,
        file,
        clobbersClause?.span ?? name.span,
      );
    }

    const forms = decl.clauses.filter((c) => c.kind === "native" || c.kind === "identity" || c.kind === "nop");
    if (forms.length === 0) {
      this.err(CODES.missingNativeForm, `${owner} has no native form: give it 'native { ... }', 'identity' or 'nop'`, file, name.span);
      return undefined;
    }
    for (const extra of forms.slice(1)) {
      this.err(CODES.conflictingNativeForms, `${owner} has more than one native form`, file, extra.span, [note(CODES.conflictingNativeForms, "the first one is here", file, forms[0]!.span)]);
    }
    const form = forms[0]!;
    let native: M.NativeForm | undefined;
    if (form.kind === "identity") {
      if (decl.params.length === 0 || !decl.returns) {
        this.err(
          CODES.identityWithoutValue,
          `${owner} is 'identity' but ${decl.params.length === 0 ? "takes no argument" : "returns nothing"}: identity returns its first argument`,
          file,
          form.span,
        );
        ok = false;
      }
      native = { kind: "identity" };
    } else if (form.kind === "nop") {
      if (decl.returns) {
        this.err(CODES.nopReturnsValue, `${owner} is 'nop' but returns ${decl.returns.text}: a nop leaves no value in ${convention.returns.name}`, file, form.span);
        ok = false;
      }
      native = { kind: "nop" };
    } else if (form.kind === "native" && form.body) {
      const code = this.body(form.body, file, `native body of ${qualifiedName}`, clobbers, undefined, "use 'nop' for an op that does nothing");
      if (code) native = { kind: "body", code };
      else ok = false;
    } else ok = false;

    if (!ok || !native) return undefined;
    const type = this.ops.length;
    const op: M.Op = {
      name: name.text,
      group,
      qualifiedName,
      type,
      slotOffset: 8 * type,
      params,
      returns,
      convention,
      clobbers,
      native,
      file,
      span: name.span,
      doc: decl.doc,
    };
    if (native.kind === "body") this.nativeBodies.push({ op, code: native.code });
    return op;
  }

  private type(name: A.Ident, file: SourceFile): M.ValueType | undefined {
    if ((VALUE_TYPES as readonly string[]).includes(name.text)) return name.text as M.ValueType;
    this.err(CODES.unknownType, `unknown type '${name.text}' (expected ${VALUE_TYPES.join(", ")})`, file, name.span);
    return undefined;
  }

  /** Assembles and checks a native body or asm impl; undefined when it has errors. */
  private body(body: A.AsmBody, file: SourceFile, what: string, clobbers: number, backend: string | undefined, emptyAdvice: string): M.AssembledCode | undefined {
    if (!body.terminated) return undefined;
    appendAll(this.diagnostics, checkNotEmpty(file, body.inner, what, emptyAdvice));
    const assembled = assembleRange(file, body.inner);
    appendAll(this.diagnostics, assembled.diagnostics);
    if (!assembled.code) return undefined;
    const problems = checkBody(assembled.code, { what, clobbers, lookup: this.bodyLookup(backend) });
    appendAll(this.diagnostics, problems);
    return problems.some((d) => d.severity === "error") ? undefined : assembled.code;
  }

  // ---- backends ----

  private backend({ decl, file }: Located<A.BackendDecl>): void {
    const name = decl.name;
    if (!name) return;
    const previous = this.backends.find((b) => b.name === name.text);
    if (previous) {
      if (previous.builtin) this.err(CODES.duplicateBackend, `'native' is the built-in backend; it cannot be declared`, file, name.span);
      else this.duplicate(CODES.duplicateBackend, "backend", name, file, { file: previous.file!, span: previous.span! });
      return;
    }
    const data: M.DataSymbol[] = [];
    const externs: M.ExternFunction[] = [];
    for (const item of decl.items) {
      if (item.kind === "data") appendAll(data, this.data({ decl: item, file }, name.text));
      if (item.kind === "extern") appendAll(externs, this.extern({ decl: item, file }, name.text));
    }
    // Asm impl symbols are callable from the backend's other bodies: define them all first.
    for (const item of decl.items) {
      if (item.kind === "impl" && item.implementation?.kind === "asm" && item.implementation.symbol) {
        const symbol = item.implementation.symbol;
        this.defineSymbol(symbol, { kind: "function", convention: CALLEE_CLOBBERS_ALL, file, span: symbol.span }, file, name.text, CODES.duplicateFunction, "function");
      }
    }
    const bindings: M.Binding[] = [];
    const bound = new Map<M.Op, Span>();
    for (const item of decl.items) {
      if (item.kind !== "impl") continue;
      const op = this.resolveOp(item.group, item.op, file, { group: CODES.unknownGroup, op: CODES.unknownOp });
      if (!op) continue;
      const first = bound.get(op);
      if (first) {
        this.err(CODES.duplicateBinding, `backend '${name.text}' binds ${op.qualifiedName} twice`, file, item.span, [note(CODES.duplicateBinding, "the first binding is here", file, first)]);
        continue;
      }
      bound.set(op, item.span);
      const impl = this.implementation(item, op, name.text, file);
      if (impl) bindings.push({ op, impl, file, span: item.span, doc: item.doc });
    }
    bindings.sort((a, b) => a.op.type - b.op.type);
    this.backends.push({ name: name.text, builtin: false, bindings, data, externs, file, span: name.span, doc: decl.doc });
  }

  private implementation(item: A.ImplDecl, op: M.Op, backend: string, file: SourceFile): M.AsmImpl | M.CImpl | undefined {
    const impl = item.implementation;
    if (!impl?.symbol) return undefined;
    if (impl.kind === "c") {
      const model = impl.model && this.body(impl.model, file, `model of C function ${impl.symbol.text}`, CONVENTION_C.clobbers, backend, "an empty model means the function writes no register");
      if (impl.model && !model) return undefined;
      if ((CONVENTION_C.clobbers & ~op.clobbers) === 0) return { kind: "c", symbol: impl.symbol.text, ...(model && { model }) };
      const thunk = `__raw_callee_save_${impl.symbol.text}`;
      const previous = this.symbols.get(thunk);
      if (previous && !this.thunkOwners.has(thunk)) {
        this.err(CODES.duplicateFunction, `the thunk for '${impl.symbol.text}' would be named '${thunk}', which is already defined`, file, impl.symbol.span, [
          note(CODES.duplicateFunction, "previous definition is here", previous.file, previous.span),
        ]);
        return undefined;
      }
      if (!previous) {
        this.symbols.set(thunk, { symbol: { kind: "function", convention: this.conventions.get("callee_save")!, file, span: impl.symbol.span }, file, span: impl.symbol.span });
        this.thunkOwners.add(thunk);
      }
      return { kind: "c", symbol: impl.symbol.text, thunk: { symbol: thunk, saves: thunkSaves(op.clobbers) }, ...(model && { model }) };
    }
    if (!impl.body) return undefined;
    const what = `asm impl ${impl.symbol.text} of ${op.qualifiedName}`;
    const code = this.body(impl.body, file, what, op.clobbers, backend, "an empty function returns at once");
    return code && { kind: "asm", symbol: impl.symbol.text, code };
  }

  // ---- scenarios ----

  private scenario({ decl, file }: Located<A.ScenarioDecl>): void {
    const name = decl.name;
    if (!name) return;
    const previous = this.scenarios.find((s) => s.name === name.text);
    if (previous) {
      this.duplicate(CODES.duplicateScenario, "scenario", name, file, previous);
      return;
    }
    const owner = `scenario '${name.text}'`;
    const init: M.StateAssignment[] = [];
    const assigned = new Map<string, Span>();
    for (const item of decl.items) {
      if (item.kind !== "init") continue;
      const backend = this.scenarioBackend(item.backend, file);
      if (backend === null) continue;
      for (const a of item.assignments) {
        const location = this.location(a.location, file, backend);
        const value = a.value && this.value(a.value, file, backend, location);
        if (!location || !value) continue;
        const key = `${backend ?? ""}:${locationKey(location)}`;
        const first = assigned.get(key);
        if (first) {
          this.err(CODES.duplicateInit, `${owner} sets ${describeLocation(location)} twice`, file, a.span, [note(CODES.duplicateInit, "first set here", file, first)]);
          continue;
        }
        assigned.set(key, a.span);
        init.push({ location, value, backend, span: a.span });
      }
    }
    const codeItem = this.single(decl.items, "code", file, owner) as Extract<A.ScenarioItem, { kind: "code" }> | undefined;
    if (!codeItem) this.report(warning(CODES.scenarioWithoutCode, `${owner} has no 'code': it calls nothing`, file, name.span));
    const code = codeItem?.body && this.scenarioCode(codeItem, file, owner);
    const expectations: M.Expectation[] = [];
    for (const item of decl.items) {
      if (item.kind !== "expect") continue;
      const backend = this.scenarioBackend(item.backend, file);
      if (backend === null) continue;
      for (const c of item.checks) {
        const location = this.location(c.location, file, backend);
        const value = c.value && this.value(c.value, file, backend, location);
        if (location && value) expectations.push({ location, operator: c.operator, value, backend, span: c.span });
      }
    }
    this.scenarios.push({ name: name.text, init, code, expectations, file, span: name.span, doc: decl.doc });
  }

  /** The backend an init or expect block names: undefined for all, null when unknown (reported). */
  private scenarioBackend(name: A.Ident | undefined, file: SourceFile): string | undefined | null {
    if (!name) return undefined;
    if (this.backends.some((b) => b.name === name.text)) return name.text;
    this.err(CODES.unknownBackend, `unknown backend '${name.text}' (known: ${this.backends.map((b) => b.name).join(", ")})`, file, name.span);
    return null;
  }

  private scenarioCode(item: Extract<A.ScenarioItem, { kind: "code" }>, file: SourceFile, owner: string): M.ScenarioCode | undefined {
    const body = item.body!;
    if (!body.terminated) return undefined;
    const sites: { op: M.Op; room: number; clobbers: number; span: Span; label: string }[] = [];
    const substitutions: Substitution[] = [];
    let ok = true;
    for (const stmt of item.pvcalls) {
      const site = this.pvcall(stmt, file);
      // A site the checker rejects still takes room, so that later errors keep their places.
      const room = site?.room ?? CALL_SITE_LENGTH;
      const label = `__pvcall_site_${substitutions.length}`;
      substitutions.push({ span: stmt.span, text: `${label}: .skip ${room}` });
      if (site) sites.push({ ...site, span: stmt.span, label });
      else ok = false;
    }
    const assembled = assembleRange(file, body.inner, substitutions);
    appendAll(this.diagnostics, assembled.diagnostics);
    if (!assembled.code || !ok) return undefined;
    const code = assembled.code;
    const problems = checkBody(code, { what: `code of ${owner}`, clobbers: CLBR_ANY, lookup: this.bodyLookup(undefined) }).filter(
      // Scenario code is a program, not a body copied into sites: only names and jumps matter.
      (d) => d.code === CODES.unknownSymbol,
    );
    appendAll(this.diagnostics, problems);
    if (problems.length) return undefined;
    const modelSites: M.PvcallSite[] = sites.map((s) => {
      const symbol = code.image.symbols.find((sym) => sym.name === s.label);
      this.longestSite.set(s.op.type, Math.max(this.longestSite.get(s.op.type) ?? 0, s.room));
      return { op: s.op, offset: Number(symbol?.value ?? 0n), room: s.room, clobbers: s.clobbers, span: s.span };
    });
    return { ...code, sites: modelSites };
  }

  private pvcall(stmt: A.PvcallStmt, file: SourceFile): { op: M.Op; room: number; clobbers: number } | undefined {
    const op = this.resolveOp(stmt.group, stmt.op, file, { group: CODES.pvcallUnknownOp, op: CODES.pvcallUnknownOp });
    let room = CALL_SITE_LENGTH;
    let ok = true;
    if (stmt.room) {
      const v = this.number(stmt.room, file);
      if (v === undefined) ok = false;
      else if (v < CALL_SITE_LENGTH) {
        this.err(CODES.roomTooSmall, `room ${v} is too small: the site must hold 'call *pv_ops+OFFSET(%rip)', ${CALL_SITE_LENGTH} bytes`, file, stmt.room.span);
        ok = false;
      } else if (v > MAX_ROOM) {
        this.err(CODES.roomTooLarge, `room ${v} is too large: a patch record stores a site's length in one byte (at most ${MAX_ROOM})`, file, stmt.room.span);
        ok = false;
      } else room = Number(v);
    }
    if (!op) return undefined;
    let clobbers = op.clobbers;
    if (stmt.clobbers) {
      const mask = this.clobberList(stmt.clobbers, file);
      if (mask === undefined) ok = false;
      else if (mask & ~op.clobbers) {
        const span = { start: stmt.clobbers[0]!.span.start, end: stmt.clobbers[stmt.clobbers.length - 1]!.span.end };
        this.err(
          CODES.siteClobbersWider,
          `this site lets ${op.qualifiedName} clobber ${describeMask(mask & ~op.clobbers)}, more than the op's clobber set (${describeMask(op.clobbers)}); a site can only narrow it`,
          file,
          span,
        );
        ok = false;
      } else clobbers = mask;
    }
    return ok ? { op, room, clobbers } : undefined;
  }

  private location(loc: A.Location, file: SourceFile, backend: string | undefined): M.Location | undefined {
    if (loc.kind === "memory") {
      const size = MEMORY_TYPES[loc.type.text];
      if (!size) {
        this.err(CODES.invalidLocation, `'${loc.type.text}[...]' is not a memory location: write u8, u16, u32 or u64 before '['`, file, loc.type.span);
        return undefined;
      }
      const address = loc.address && this.evaluate(loc.address, file, this.dataSymbol(backend));
      if (!address) return undefined;
      if (address.symbol === undefined) {
        this.err(CODES.invalidLocation, "a memory location must be a data symbol plus an offset", file, loc.address!.span);
        return undefined;
      }
      return { kind: "memory", symbol: address.symbol, offset: address.addend, size };
    }
    if (loc.field) {
      if (loc.name.text !== "rflags") {
        this.err(CODES.unknownFlag, `'${loc.name.text}.${loc.field.text}': only rflags has named parts`, file, loc.span);
        return undefined;
      }
      const mask = (FLAGS as Record<string, number>)[loc.field.text];
      if (mask === undefined || loc.field.text === "IOPL") {
        this.err(CODES.unknownFlag, `unknown flag 'rflags.${loc.field.text}' (known: ${SINGLE_BIT_FLAGS.join(", ")})`, file, loc.field.span);
        return undefined;
      }
      return { kind: "flag", flag: loc.field.text, mask };
    }
    if (loc.name.text === "rflags") return { kind: "rflags" };
    const reg = this.register(loc.name, file);
    if (!reg) return undefined;
    if (reg.cls !== "gpr64" && reg.cls !== "cr") {
      this.err(CODES.invalidLocation, `'${loc.name.text}' cannot be set or checked: use a 64-bit general register, a control register, rflags or memory`, file, loc.name.span);
      return undefined;
    }
    return { kind: "register", register: reg };
  }

  private dataSymbol(backend: string | undefined): (name: string) => boolean {
    return (name) => {
      const s = this.symbols.get(name);
      return s !== undefined && s.symbol.kind === "data" && (s.backend === undefined || s.backend === backend);
    };
  }

  private value(expr: A.Expr, file: SourceFile, backend: string | undefined, location: M.Location | undefined): M.Value | undefined {
    const v = this.evaluate(expr, file, this.dataSymbol(backend));
    if (!v || !location || v.symbol !== undefined) return v;
    const bits = location.kind === "flag" ? 1n : location.kind === "memory" ? BigInt(location.size * 8) : 64n;
    if (v.addend >= -(1n << (bits - 1n)) && v.addend < 1n << bits && (bits !== 1n || v.addend >= 0n)) return v;
    this.err(CODES.valueOutOfRange, `${v.addend} does not fit in ${describeLocation(location)} (${bits} bit${bits === 1n ? "" : "s"})`, file, expr.span);
    return undefined;
  }

  // ---- after everything ----

  private warnNeverInlined(): void {
    for (const { op, code } of this.nativeBodies) {
      const longest = Math.max(CALL_SITE_LENGTH, this.longestSite.get(op.type) ?? 0);
      if (code.bytes.length <= longest) continue;
      this.report(
        warning(
          CODES.bodyNeverInlined,
          `native body of ${op.qualifiedName} is ${code.bytes.length} bytes, longer than any site that calls it (${longest} bytes): it is never inlined, always called`,
          code.file,
          code.span.start === code.span.end ? op.span : trimmedSpan(code),
        ),
      );
    }
  }
}

/** Asm impls as call targets from other bodies: nothing is known about what they preserve. */
const CALLEE_CLOBBERS_ALL: M.ModelConvention = { ...CONVENTION_C, name: "asm", builtin: true };

const MEMORY_TYPES: Record<string, 1 | 2 | 4 | 8> = { u8: 1, u16: 2, u32: 4, u64: 8 };

function locationKey(l: M.Location): string {
  switch (l.kind) {
    case "register":
      return l.register.name;
    case "rflags":
      return "rflags";
    case "flag":
      return `rflags.${l.flag}`;
    case "memory":
      return `${l.symbol}+${l.offset}:${l.size}`;
  }
}

function describeLocation(l: M.Location): string {
  if (l.kind === "memory") return `u${l.size * 8}[${l.symbol}${l.offset ? ` + ${l.offset}` : ""}]`;
  return locationKey(l);
}

function describeConvention(c: M.Convention): string {
  return `args ${c.args.map((r) => r.name).join(", ") || "none"}; returns ${c.returns.name}; clobbers ${registersOfMask(c.clobbers)
    .map((r) => r.name)
    .join(", ") || "none"}`;
}

function trimmedSpan(code: M.AssembledCode): Span {
  const first = code.instructions[0];
  const last = code.instructions[code.instructions.length - 1];
  return first && last ? { start: first.span.start, end: last.span.end } : code.span;
}
