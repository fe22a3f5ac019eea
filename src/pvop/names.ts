/**
 * The symbol names a build emits. One place decides them, because the .S source, the C header,
 * the patch table and (later) the patcher and the link-time pass must all agree.
 */
import type { Backend, DataSymbol, Model, Op, Scenario } from "../lang/model.js";

/** The live ops table: one 8-byte slot per op, initially pointing at the native implementations. */
export const OPS_TABLE = "pv_ops";

/** The section Linux keeps patch-site records in. */
export const PATCH_SECTION = ".parainstructions";

/** The section per-cpu data lives in; `%gs:sym` addresses it relative to the per-cpu base. */
export const PERCPU_SECTION = ".data..percpu";

const flat = (op: Op) => `${op.group}_${op.name}`;

/** `native_pv_irq_ops_save_fl`: the out-of-line native implementation of an op. */
export function nativeSymbol(op: Op): string {
  return `native_${flat(op)}`;
}

/** The table of a declared backend's implementations: `pv_ops_xen`. */
export function backendTableSymbol(backend: Backend): string {
  return `${OPS_TABLE}_${backend.name}`;
}

/**
 * The bounds of the bytes the patcher copies inline for an op under a backend (the native body,
 * or a backend's asm impl): `__pv_native_start_pv_irq_ops_save_fl` and `..._end_...`.
 */
export function templateSymbols(backendName: string, op: Op): { start: string; end: string } {
  return { start: `__pv_${backendName}_start_${flat(op)}`, end: `__pv_${backendName}_end_${flat(op)}` };
}

/** Every data and per-cpu symbol a build defines: the file's own, then each backend's. */
export function allDataSymbols(model: Model): DataSymbol[] {
  return [...model.data, ...model.backends.flatMap((b) => b.data)];
}

/** The function a scenario's code is compiled into. */
export function scenarioSymbol(scenario: Scenario): string {
  return `pvopc_scenario_${scenario.name}`;
}
