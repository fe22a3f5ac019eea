/**
 * Assembly bodies: assembling them (the front end's one call into the project's assembler)
 * and the static checks the language promises on them — symbols resolve, relative branches
 * stay inside, no trailing `ret`, and no register outside the clobber set is left changed.
 *
 * The clobber check walks the instructions in order (push/pop pairs restore); the convention
 * verifier deepens it into a path-sensitive analysis.
 */
import { assemble } from "../asm/assembler.js";
import { error, note, SourceFile, warning, type Diagnostic, type Span } from "../diag/diagnostic.js";
import { findSection } from "../image/image.js";
import { CLBR_ANY, clobberBit, CLOBBERABLE, describeMask } from "../pvop/abi.js";
import { effectsOf } from "../x86/effects.js";
import { isGpr, type Register } from "../x86/registers.js";
import { assemblyStatements } from "./asmtext.js";
import { CODES } from "./codes.js";
import type { AssembledCode, AssembledInstruction } from "./model.js";

/** What a name used inside a body refers to. */
export type BodySymbol = { readonly kind: "data" | "percpu" } | { readonly kind: "function"; readonly clobbers: number };

export interface BodyContext {
  /** "native body of pv_irq_ops.save_fl", "asm impl xen_irq_enable_direct": how messages name it. */
  readonly what: string;
  /** Registers the body may leave changed (CLBR mask). */
  readonly clobbers: number;
  /** Looks up a symbol the body references; undefined when it is not declared. */
  readonly lookup: (name: string) => BodySymbol | undefined;
}

/** A replacement of part of the text before assembly (scenario code's pvcall statements). */
export interface Substitution {
  readonly span: Span;
  readonly text: string;
}

export interface AssembledBody {
  /** Undefined when the body does not assemble. */
  readonly code?: AssembledCode;
  readonly diagnostics: Diagnostic[];
}

/**
 * Assembles `range` of `file`. With substitutions, the assembler reads a copy of the text with
 * those spans replaced; every span it reports is mapped back to the original file (a span
 * inside a replaced region maps to that region).
 */
export function assembleRange(file: SourceFile, range: Span, substitutions: readonly Substitution[] = []): AssembledBody {
  const mapping = new OffsetMap(file, range, substitutions);
  const result = assemble(mapping.derived, { range: mapping.derivedRange, lineComments: ["//"] });
  const diagnostics = result.diagnostics.map((d) => mapping.diagnostic(d));
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  const text = findSection(result.image, ".text");
  const instructions: AssembledInstruction[] = result.instructions
    .filter((i) => i.section === ".text")
    .map((i) => ({ instruction: i.instruction, offset: i.offset, length: i.length, span: mapping.span(i.span) }));
  const foreign = result.image.sections.find((s) => s.name !== ".text" && s.data.length > 0);
  if (foreign) {
    diagnostics.push(error(CODES.bodyNotCode, `a body holds only code, but this one puts bytes in section '${foreign.name}'`, file, range));
    return { diagnostics };
  }
  return { code: { file, span: range, bytes: text?.data ?? new Uint8Array(), image: result.image, instructions }, diagnostics };
}

/** The static checks on an assembled body. */
export function checkBody(code: AssembledCode, context: BodyContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  checkSymbols(code, context, out);
  checkBranches(code, out);
  const last = code.instructions[code.instructions.length - 1];
  if (last && last.instruction.form.sem === "ret") {
    out.push(warning(CODES.bodyEndsInRet, `${context.what} ends in 'ret'; the compiler adds the return itself`, code.file, last.span));
  }
  checkClobbers(code, context, out);
  return out;
}

/** Warns about a body without instructions. */
export function checkNotEmpty(file: SourceFile, range: Span, what: string, suggestion: string): Diagnostic[] {
  return assemblyStatements(file.text, range).length === 0 ? [warning(CODES.emptyBody, `${what} is empty; ${suggestion}`, file, range)] : [];
}

/** The instruction whose bytes hold the field at `offset`. */
function instructionAt(code: AssembledCode, offset: number): AssembledInstruction | undefined {
  return code.instructions.find((i) => offset >= i.offset && offset < i.offset + i.length);
}

/** Symbols the assembler could not resolve inside the body: its relocations name them. */
function externalReferences(code: AssembledCode): { name: string; ins: AssembledInstruction }[] {
  const refs: { name: string; ins: AssembledInstruction }[] = [];
  for (const r of findSection(code.image, ".text")?.relocations ?? []) {
    const ins = instructionAt(code, r.offset);
    const local = code.image.symbols.some((s) => s.name === r.symbol && s.section !== undefined) || findSection(code.image, r.symbol);
    if (ins && !local) refs.push({ name: r.symbol, ins });
  }
  return refs;
}

function checkSymbols(code: AssembledCode, context: BodyContext, out: Diagnostic[]): void {
  for (const { name, ins } of externalReferences(code)) {
    // A jump out is reported as such (checkBranches), whatever its target is.
    if (context.lookup(name) || isJump(ins)) continue;
    out.push(error(CODES.unknownSymbol, `unknown symbol '${name}' in ${context.what}: declare it with 'data', 'percpu' or 'extern'`, code.file, ins.span));
  }
}

function isJump(ins: AssembledInstruction): boolean {
  return ins.instruction.form.sem !== "call" && ins.instruction.operands.some((o) => o.kind === "rel");
}

/**
 * A relative jump the assembler could not resolve inside the body (it needed a relocation)
 * would land in whatever follows the site the body is copied into.
 */
function checkBranches(code: AssembledCode, out: Diagnostic[]): void {
  for (const { name, ins } of externalReferences(code)) {
    if (!isJump(ins)) continue;
    out.push(
      error(
        CODES.branchLeavesBody,
        `'${instructionText(code, ins)}' branches to '${name}' outside the body; a body is copied into call sites, so its jumps must stay inside it`,
        code.file,
        ins.span,
      ),
    );
  }
}

/** Instructions after which execution does not continue at the next one. */
const LEAVES = new Set(["ret", "iret", "sysret", "jmp", "ud2"]);

interface Saved {
  /** The register pushed, when the push saved a general register's value. */
  readonly register?: Register;
  /** True when the pushed value was the register's value on entry. */
  readonly original: boolean;
  readonly at: AssembledInstruction;
}

function checkClobbers(code: AssembledCode, context: BodyContext, out: Diagnostic[]): void {
  const changed = new Map<Register, AssembledInstruction>();
  const stack: Saved[] = [];
  const change = (reg: Register, ins: AssembledInstruction) => {
    if (!changed.has(reg)) changed.set(reg, ins);
  };
  for (const ins of code.instructions) {
    const { form, operands } = ins.instruction;
    const operand = operands[0];
    if (form.sem === "push" || form.sem === "pushf") {
      const reg = operand?.kind === "reg" && operand.reg.bits === 64 && isGpr(operand.reg) ? operand.reg : undefined;
      stack.push({ register: reg, original: reg !== undefined && !changed.has(reg), at: ins });
      continue;
    }
    if (form.sem === "pop" || form.sem === "popf") {
      const saved = stack.pop();
      if (!saved) {
        out.push(
          error(
            CODES.unbalancedStack,
            `${context.what} pops more than it pushes: '${instructionText(code, ins)}' at line ${line(code, ins)} takes the caller's stack`,
            code.file,
            ins.span,
          ),
        );
        return;
      }
      if (form.sem === "pop" && operand?.kind === "reg") {
        const reg = effectsOf(ins.instruction).writes[0]!.full;
        if (saved.register === reg && saved.original) changed.delete(reg);
        else change(reg, ins);
      }
      continue;
    }
    if (form.sem === "call") {
      const target = operand?.kind === "rel" && operand.symbol ? context.lookup(operand.symbol.name) : undefined;
      const clobbers = target?.kind === "function" ? target.clobbers : CLBR_ANY;
      for (const reg of CLOBBERABLE) if (clobbers & clobberBit(reg)!) change(reg, ins);
      continue;
    }
    // iretq, sysretq and friends leave for good: what they load is the next context's, not a clobber.
    if (LEAVES.has(form.sem)) continue;
    for (const w of effectsOf(ins.instruction).writes) if (isGpr(w.full)) change(w.full, ins);
  }
  const unpopped = stack[0];
  if (unpopped) {
    out.push(
      error(
        CODES.unbalancedStack,
        `${context.what} leaves ${stack.length * 8} bytes on the stack: '${instructionText(code, unpopped.at)}' at line ${line(code, unpopped.at)} is never popped`,
        code.file,
        unpopped.at.span,
      ),
    );
  }
  for (const [reg, ins] of changed) {
    const bit = clobberBit(reg);
    if (bit !== undefined && context.clobbers & bit) continue;
    out.push(
      error(
        CODES.clobberViolation,
        `${context.what} clobbers ${reg.name}, which its clobber set (${describeMask(context.clobbers)}) does not allow: '${instructionText(code, ins)}' at line ${line(code, ins)} changes it and nothing restores it`,
        code.file,
        ins.span,
        [note(CODES.clobberViolation, `save it with 'pushq %${reg.name}' before and 'popq %${reg.name}' after, or widen the clobber set`, code.file, ins.span)],
      ),
    );
  }
}

function instructionText(code: AssembledCode, ins: AssembledInstruction): string {
  return code.file.text.slice(ins.span.start, ins.span.end).trim().replace(/\s+/g, " ");
}

function line(code: AssembledCode, ins: AssembledInstruction): number {
  return code.file.position(ins.span.start).line;
}

/**
 * Maps offsets between a file and a copy of one range of it with some spans replaced. The
 * copy holds only the range (copying the whole file per scenario made checking quadratic).
 */
class OffsetMap {
  readonly derived: SourceFile;
  readonly derivedRange: Span;
  /** Replaced regions in derived coordinates, with their original spans, in order. */
  private readonly regions: { derived: Span; original: Span }[] = [];
  private readonly base: number;

  constructor(
    private readonly file: SourceFile,
    range: Span,
    substitutions: readonly Substitution[],
  ) {
    if (substitutions.length === 0) {
      this.derived = file;
      this.derivedRange = range;
      this.base = 0;
      return;
    }
    this.base = range.start;
    const parts: string[] = [];
    let copied = range.start;
    let length = 0;
    for (const s of [...substitutions].sort((a, b) => a.span.start - b.span.start)) {
      parts.push(file.text.slice(copied, s.span.start), s.text);
      const start = length + (s.span.start - copied);
      this.regions.push({ derived: { start, end: start + s.text.length }, original: s.span });
      length = start + s.text.length;
      copied = s.span.end;
    }
    parts.push(file.text.slice(copied, range.end));
    const text = parts.join("");
    this.derived = new SourceFile(file.name, text);
    this.derivedRange = { start: 0, end: text.length };
  }

  private toOriginal(offset: number): number {
    if (this.regions.length === 0) return offset;
    let original = this.base + offset;
    for (const r of this.regions) {
      if (offset < r.derived.start) break;
      if (offset < r.derived.end) return r.original.start;
      original = r.original.end + (offset - r.derived.end);
    }
    return original;
  }

  span(s: Span): Span {
    if (this.regions.length === 0) return s;
    const start = this.toOriginal(s.start);
    return { start, end: Math.max(start, this.toOriginal(s.end)) };
  }

  diagnostic(d: Diagnostic): Diagnostic {
    if (this.regions.length === 0) return d;
    return { ...d, file: this.file, span: this.span(d.span), related: d.related?.map((r) => this.diagnostic(r)) };
  }
}
