/**
 * The code generator's first product: GNU assembler source for everything a build emits. The
 * text is the single description of the build's code and data; `build()` assembles it with the
 * project's assembler into the Image that the ELF writer, the patcher and the emulator consume,
 * and the tests hold GNU as to the same bytes.
 *
 * Layout of the generated source:
 * - .text: native implementations (body + ret, with the patch template's start/end symbols
 *   around the body), backend asm impls (likewise), callee-save thunks, scenario functions
 *   holding the patchable call sites;
 * - .data: `pv_ops` (native) and one `pv_ops_<backend>` table per declared backend;
 * - .bss and .data..percpu: the data and per-cpu symbols the file declares;
 * - .parainstructions: one Linux-layout record per call site.
 */
import type { AssembledCode, Backend, DataSymbol, Model, Op, PvcallSite, Scenario } from "../lang/model.js";
import { assemblyStatements } from "../lang/asmtext.js";
import { typeBits } from "../lang/model.js";
import type { Register } from "../x86/registers.js";
import { CALL_SITE_LENGTH } from "../lang/check.js";
import { backendTableSymbol, nativeSymbol, OPS_TABLE, PATCH_SECTION, PERCPU_SECTION, scenarioSymbol, templateSymbols } from "./names.js";

/** A generated callee-save thunk, as the build report and the patch table describe it. */
export interface ThunkPlan {
  readonly symbol: string;
  /** The C function it calls. */
  readonly target: string;
  /** Registers pushed before the call and popped after it, in push order. */
  readonly saves: readonly Register[];
  /** Registers a full thunk would save (all that `c` may clobber and the op may not). */
  readonly fullSaves: readonly Register[];
  /** True when an odd stack adjustment keeps %rsp 16-byte aligned at the call. */
  readonly alignmentPad: boolean;
}

/** What a slot of a backend's table points at, and why. */
export interface SlotTarget {
  readonly op: Op;
  readonly kind: "native" | "asm" | "c" | "thunk";
  readonly symbol: string;
}

class Writer {
  private readonly lines: string[] = [];
  line(text = ""): void {
    this.lines.push(text);
  }
  insn(text: string): void {
    this.lines.push(`\t${text}`);
  }
  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

/** The statements of an assembled body, as its own source text, one per line. */
function bodyStatements(code: AssembledCode, sites: readonly PvcallSite[] = []): { text: string; site?: PvcallSite }[] {
  const out: { text: string; site?: PvcallSite }[] = [];
  for (const st of assemblyStatements(code.file.text, code.span)) {
    const site = sites.find((s) => s.span.start >= st.span.start && s.span.end <= st.span.end);
    if (!site) {
      out.push({ text: code.file.text.slice(st.span.start, st.span.end) });
      continue;
    }
    const labels = code.file.text.slice(st.span.start, site.span.start).trim();
    if (labels) out.push({ text: labels });
    out.push({ text: "", site });
  }
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function beginFunction(w: Writer, symbol: string, comment: string): void {
  w.line();
  w.line(`# ${comment}`);
  w.insn(`.p2align 4`);
  w.insn(`.globl ${symbol}`);
  w.insn(`.type ${symbol}, @function`);
  w.line(`${symbol}:`);
}

function endFunction(w: Writer, symbol: string): void {
  w.insn("ret");
  w.insn(`.size ${symbol}, .-${symbol}`);
}

/** The native form of an op as instruction lines (empty for nop). */
function nativeLines(op: Op): string[] {
  switch (op.native.kind) {
    case "body":
      return bodyStatements(op.native.code).map((s) => s.text);
    case "identity":
      // A 32-bit value moves with mov %edi,%eax (zero-extending), as Linux patches it.
      return [op.returns && typeBits(op.returns) === 32 ? "movl %edi, %eax" : "movq %rdi, %rax"];
    case "nop":
      return [];
  }
}

function emitTemplateFunction(w: Writer, symbol: string, template: { start: string; end: string }, lines: readonly string[], comment: string) {
  beginFunction(w, symbol, comment);
  w.line(`${template.start}:`);
  for (const l of lines) w.insn(l);
  w.line(`${template.end}:`);
  endFunction(w, symbol);
}

function emitThunk(w: Writer, thunk: ThunkPlan, comment: string): void {
  beginFunction(w, thunk.symbol, comment);
  for (const r of thunk.saves) w.insn(`pushq %${r.name}`);
  // On entry %rsp is 8 off a 16-byte boundary (the return address); an even number of pushes
  // leaves it there, so step one more slot down to call the C function with an aligned stack.
  // lea rather than sub: the flags are clobberable, but there is no reason to touch them.
  if (thunk.alignmentPad) w.insn("leaq -8(%rsp), %rsp");
  w.insn(`call ${thunk.target}`);
  if (thunk.alignmentPad) w.insn("leaq 8(%rsp), %rsp");
  for (const r of [...thunk.saves].reverse()) w.insn(`popq %${r.name}`);
  endFunction(w, thunk.symbol);
}

/** The lines of one patchable call site and its .parainstructions record. */
function siteLines(site: PvcallSite, label: string): string[] {
  const lines = [`${label}:`, `call *${OPS_TABLE}+${site.op.slotOffset}(%rip)`];
  if (site.room > CALL_SITE_LENGTH) lines.push(`.nops ${site.room - CALL_SITE_LENGTH}`);
  lines.push(
    `.pushsection ${PATCH_SECTION}, "a"`,
    ".p2align 3",
    `.quad ${label}`,
    `.byte ${site.op.type}`,
    `.byte ${site.room}`,
    `.short ${hex(site.clobbers)}`,
    ".popsection",
  );
  return lines;
}

function emitScenario(w: Writer, scenario: Scenario, siteLabel: (n: number) => string, counter: { n: number }): void {
  const symbol = scenarioSymbol(scenario);
  beginFunction(w, symbol, `scenario ${scenario.name}`);
  if (scenario.code) {
    for (const st of bodyStatements(scenario.code, scenario.code.sites)) {
      if (!st.site) {
        w.insn(st.text);
        continue;
      }
      w.insn(`# pvcall ${st.site.op.qualifiedName}, room ${st.site.room}, clobbers ${hex(st.site.clobbers)}`);
      const [label, ...rest] = siteLines(st.site, siteLabel(counter.n++));
      w.line(label);
      for (const l of rest) w.insn(l);
    }
  }
  endFunction(w, symbol);
}

function emitData(w: Writer, symbols: readonly DataSymbol[], section: string, sectionDirective: string): void {
  if (!symbols.length) return;
  w.line();
  w.line(`# ${section}`);
  w.insn(sectionDirective);
  for (const d of symbols) {
    w.insn(".p2align 3");
    w.insn(`.globl ${d.name}`);
    w.insn(`.type ${d.name}, @object`);
    w.insn(`.size ${d.name}, ${d.size}`);
    w.line(`${d.name}:`);
    w.insn(`.zero ${d.size}`);
  }
}

/** Every table's slots: the native table, then each declared backend's. */
export function tableSlots(model: Model, backend: Backend, thunks: ReadonlyMap<string, ThunkPlan>): SlotTarget[] {
  return model.ops.map((op) => {
    const binding = backend.bindings.find((b) => b.op === op);
    if (!binding) return { op, kind: "native", symbol: nativeSymbol(op) };
    const impl = binding.impl;
    if (impl.kind === "asm") return { op, kind: "asm", symbol: impl.symbol };
    if (impl.thunk && thunks.has(impl.thunk.symbol)) return { op, kind: "thunk", symbol: impl.thunk.symbol };
    return { op, kind: "c", symbol: impl.symbol };
  });
}

function emitTable(w: Writer, symbol: string, slots: readonly SlotTarget[], comment: string): void {
  w.line();
  w.line(`# ${comment}`);
  w.insn(".p2align 3");
  w.insn(`.globl ${symbol}`);
  w.insn(`.type ${symbol}, @object`);
  w.insn(`.size ${symbol}, ${slots.length * 8}`);
  w.line(`${symbol}:`);
  for (const s of slots) w.insn(`.quad ${s.symbol}\t# ${s.op.type}: ${s.op.qualifiedName}`);
}

export interface AssemblyPlan {
  readonly thunks: ReadonlyMap<string, ThunkPlan>;
  /** The data symbols of the file and of every backend, in declaration order. */
  readonly data: readonly DataSymbol[];
}

/** Writes the .S source of a build. `sourceName` goes into the header comment only. */
export function generateAssembly(model: Model, plan: AssemblyPlan, sourceName: string): string {
  const w = new Writer();
  w.line(`# Generated by pvopc from ${sourceName}. Do not edit.`);
  w.line(`# ${model.ops.length} ops, ${model.backends.length - 1} backends, ${plan.thunks.size} thunks.`);
  w.insn(".text");
  for (const op of model.ops) {
    emitTemplateFunction(w, nativeSymbol(op), templateSymbols("native", op), nativeLines(op), `native ${op.qualifiedName} (type ${op.type})`);
  }
  for (const backend of model.backends) {
    for (const b of backend.bindings) {
      if (b.impl.kind !== "asm") continue;
      const lines = bodyStatements(b.impl.code).map((s) => s.text);
      emitTemplateFunction(w, b.impl.symbol, templateSymbols(backend.name, b.op), lines, `${backend.name}: ${b.op.qualifiedName}`);
    }
  }
  for (const thunk of plan.thunks.values()) {
    emitThunk(w, thunk, `callee-save thunk for ${thunk.target}: saves ${thunk.saves.map((r) => r.name).join(" ") || "nothing"}`);
  }
  const counter = { n: 0 };
  for (const scenario of model.scenarios) emitScenario(w, scenario, (n) => `.Lpv_site_${n}`, counter);

  w.line();
  w.insn(".data");
  const native = model.backends.find((b) => b.builtin)!;
  emitTable(w, OPS_TABLE, tableSlots(model, native, plan.thunks), "the ops table: one slot per op, type order; initially native");
  for (const backend of model.backends) {
    if (backend.builtin) continue;
    emitTable(w, backendTableSymbol(backend), tableSlots(model, backend, plan.thunks), `the ${backend.name} backend's implementations`);
  }
  emitData(w, plan.data.filter((d) => !d.percpu), ".bss", ".bss");
  emitData(w, plan.data.filter((d) => d.percpu), PERCPU_SECTION, `.section ${PERCPU_SECTION}, "aw", @progbits`);
  w.line();
  w.insn(`.section .note.GNU-stack, "", @progbits`);
  return w.text();
}
