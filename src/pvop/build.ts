/**
 * build(): a checked Model to every artefact a kernel build links — the .S source, the Image
 * assembled from it by the project's assembler, the ELF object written from that Image, the C
 * header and patch-table.json — plus the report the CLI prints. Nothing is written here; the
 * CLI writes all outputs only when the whole build succeeded.
 */
import { assemble } from "../asm/assembler.js";
import { error, SourceFile, type Diagnostic } from "../diag/diagnostic.js";
import { writeElf } from "../image/elf-write.js";
import { findSection, findSymbol, type Image } from "../image/image.js";
import type { Backend, Model, Op } from "../lang/model.js";
import { changedRegisters } from "../x86/effects.js";
import type { Register } from "../x86/registers.js";
import { generateAssembly, tableSlots, type SlotTarget, type ThunkPlan } from "./assembly.js";
import { generateHeader } from "./header.js";
import { allDataSymbols, backendTableSymbol, OPS_TABLE, templateSymbols } from "./names.js";
import { buildPatchTable, readSiteRecords, type PatchTable } from "./patch-table.js";

export interface BuildOptions {
  /** How outputs name their source (a path as the user gave it). */
  readonly sourceName: string;
  /** Stem of the output files and the header's include guard, e.g. `linux-x86_64`. */
  readonly baseName: string;
}

export interface BuildArtifacts {
  readonly assembly: string;
  readonly image: Image;
  readonly object: Uint8Array;
  readonly header: string;
  readonly patchTable: PatchTable;
}

export interface BuildReport {
  readonly ops: number;
  readonly backends: readonly { readonly name: string; readonly bound: number }[];
  readonly thunks: readonly ThunkPlan[];
  readonly sites: number;
}

export type BuildResult =
  | { readonly ok: true; readonly artifacts: BuildArtifacts; readonly report: BuildReport }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

/**
 * The thunk for each C impl that needs one. A C function whose code the file shows (a model
 * body) is only saved from the registers that code can write; otherwise every register `c`
 * lets it clobber and the op does not.
 */
export function planThunks(model: Model): Map<string, ThunkPlan> {
  const thunks = new Map<string, ThunkPlan>();
  for (const backend of model.backends) {
    for (const b of backend.bindings) {
      const impl = b.impl;
      if (impl.kind !== "c" || !impl.thunk || thunks.has(impl.thunk.symbol)) continue;
      const fullSaves = impl.thunk.saves;
      let saves = fullSaves;
      if (impl.model) {
        const written = new Set<Register>(impl.model.instructions.flatMap((i) => changedRegisters(i.instruction)));
        saves = fullSaves.filter((r) => written.has(r));
      }
      thunks.set(impl.thunk.symbol, { symbol: impl.thunk.symbol, target: impl.symbol, saves, fullSaves, alignmentPad: saves.length % 2 === 0 });
    }
  }
  return thunks;
}

function templateBytes(image: Image, backendName: string, op: Op): Uint8Array {
  const text = findSection(image, ".text")!;
  const { start, end } = templateSymbols(backendName, op);
  const s = findSymbol(image, start);
  const e = findSymbol(image, end);
  return s && e ? text.data.slice(Number(s.value), Number(e.value)) : new Uint8Array();
}

export function build(model: Model, options: BuildOptions): BuildResult {
  const thunks = planThunks(model);
  const data = allDataSymbols(model);
  const assembly = generateAssembly(model, { thunks, data }, options.sourceName);
  const file = new SourceFile(`${options.baseName}.S`, assembly);
  const assembled = assemble(file);
  if (assembled.diagnostics.some((d) => d.severity === "error")) {
    // Generated code that does not assemble is a compiler bug, reported with the .S position.
    return {
      ok: false,
      diagnostics: [
        error("PV3001", "internal error: the generated assembly does not assemble (a pvopc bug)", file, { start: 0, end: 0 }, assembled.diagnostics),
      ],
    };
  }
  const image = assembled.image;
  const tables: { backend: string; table: string; slots: SlotTarget[] }[] = model.backends.map((b: Backend) => ({
    backend: b.name,
    table: b.builtin ? OPS_TABLE : backendTableSymbol(b),
    slots: tableSlots(model, b, thunks),
  }));
  const thunkList = [...thunks.values()];
  const patchTable = buildPatchTable(model, image, tables, thunkList, (op) => templateBytes(image, "native", op), options.sourceName);
  const header = generateHeader({
    model,
    sourceName: options.sourceName,
    guard: options.baseName.toUpperCase().replace(/[^A-Z0-9]/g, "_"),
    tables,
    thunks: thunkList,
  });
  return {
    ok: true,
    artifacts: { assembly, image, object: writeElf(image), header, patchTable },
    report: {
      ops: model.ops.length,
      backends: model.backends.filter((b) => !b.builtin).map((b) => ({ name: b.name, bound: b.bindings.length })),
      thunks: thunkList,
      sites: readSiteRecords(image).length,
    },
  };
}

/** The report as the CLI prints it. */
export function formatReport(report: BuildReport): string {
  const lines = [`${report.ops} ops, ${report.backends.length} backends, ${report.thunks.length} thunks, ${report.sites} call sites`];
  for (const b of report.backends) lines.push(`  backend ${b.name}: ${b.bound} ops bound`);
  for (const t of report.thunks) {
    const saved = t.fullSaves.length - t.saves.length;
    lines.push(
      `  thunk ${t.symbol}: ${t.saves.length} push/pop pairs${saved ? ` (${saved} fewer than a full thunk: ${t.target}'s code is visible)` : ""}`,
    );
  }
  return lines.join("\n") + "\n";
}
