/**
 * patch-table.json: the machine-readable description of a build — ops, backends with their
 * implementations and thunks, and every call site — for tools that patch, verify or inspect.
 * Its JSON Schema is schema/patch-table.schema.json; the tests validate every build against it.
 *
 * Sites are read back from the Image's .parainstructions records and their relocations, the
 * way a patcher reads a linked kernel, so the table describes what the object really holds.
 */
import type { Image, ImageSymbol } from "../image/image.js";
import { findSection } from "../image/image.js";
import type { Model } from "../lang/model.js";
import { registersOfMask } from "./abi.js";
import type { SlotTarget, ThunkPlan } from "./assembly.js";
import { nativeSymbol, PATCH_SECTION } from "./names.js";

export const PATCH_TABLE_FORMAT = "pvopc-patch-table";
export const PATCH_TABLE_VERSION = 1;

/** Byte stride of a .parainstructions record: 12 bytes of data padded to 8-byte alignment. */
export const PATCH_RECORD_STRIDE = 16;

export interface PatchTableOp {
  group: string;
  name: string;
  type: number;
  /** Byte offset of the op's slot in pv_ops. */
  slot: number;
  convention: string;
  clobbers: string[];
  clobberMask: number;
  native: { kind: "body" | "identity" | "nop"; symbol: string; bytes: string };
}

export interface PatchTableImpl {
  op: string;
  type: number;
  kind: SlotTarget["kind"];
  symbol: string;
  /** For asm impls: the body's bytes (what patching may copy inline). */
  bytes?: string;
}

export interface PatchTableThunk {
  symbol: string;
  target: string;
  saves: string[];
  /** Push/pop pairs the minimal thunk leaves out compared with a full callee-save thunk. */
  savedPushes: number;
}

export interface PatchTableBackend {
  name: string;
  table: string;
  impls: PatchTableImpl[];
}

export interface PatchTableSite {
  /** The function the site lies in, and the site's offset from it. */
  symbol: string;
  offset: number;
  /** Offset of the site in .text. */
  sectionOffset: number;
  op: string;
  type: number;
  length: number;
  clobbers: string[];
  clobberMask: number;
}

export interface PatchTable {
  format: typeof PATCH_TABLE_FORMAT;
  version: typeof PATCH_TABLE_VERSION;
  target: "x86_64";
  source: string;
  ops: PatchTableOp[];
  backends: PatchTableBackend[];
  thunks: PatchTableThunk[];
  sites: PatchTableSite[];
}

/** A call site as its .parainstructions record describes it. */
export interface SiteRecord {
  /** Section and offset the record's address relocation points at. */
  readonly section: string;
  readonly offset: number;
  readonly type: number;
  readonly length: number;
  readonly clobbers: number;
}

/** Reads the patch-site records of an Image (unlinked: addresses are relocations). */
export function readSiteRecords(image: Image): SiteRecord[] {
  const section = findSection(image, PATCH_SECTION);
  if (!section) return [];
  const view = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
  const records: SiteRecord[] = [];
  for (let at = 0; at + 12 <= section.data.length; at += PATCH_RECORD_STRIDE) {
    const reloc = section.relocations.find((r) => r.offset === at);
    if (!reloc) continue;
    const target = image.symbols.find((s) => s.name === reloc.symbol);
    const base = target && target.type !== "section" ? Number(target.value) : 0;
    records.push({
      section: target?.section ?? reloc.symbol,
      offset: base + Number(reloc.addend),
      type: view.getUint8(at + 8),
      length: view.getUint8(at + 9),
      clobbers: view.getUint16(at + 10, true),
    });
  }
  return records;
}

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function enclosingFunction(image: Image, section: string, offset: number): ImageSymbol | undefined {
  return image.symbols.find(
    (s) => s.type === "func" && s.section === section && BigInt(offset) >= s.value && BigInt(offset) < s.value + s.size,
  );
}

export function buildPatchTable(
  model: Model,
  image: Image,
  tables: readonly { backend: string; table: string; slots: readonly SlotTarget[] }[],
  thunks: readonly ThunkPlan[],
  nativeBytes: (op: Model["ops"][number]) => Uint8Array,
  source: string,
): PatchTable {
  const ops: PatchTableOp[] = model.ops.map((op) => ({
    group: op.group,
    name: op.name,
    type: op.type,
    slot: op.slotOffset,
    convention: op.convention.name,
    clobbers: registersOfMask(op.clobbers).map((r) => r.name),
    clobberMask: op.clobbers,
    native: { kind: op.native.kind, symbol: nativeSymbol(op), bytes: toHex(nativeBytes(op)) },
  }));
  const backends: PatchTableBackend[] = tables.map((t) => ({
    name: t.backend,
    table: t.table,
    impls: t.slots.map((s) => {
      const impl: PatchTableImpl = { op: s.op.qualifiedName, type: s.op.type, kind: s.kind, symbol: s.symbol };
      const binding = model.backends.find((b) => b.name === t.backend)?.bindings.find((b) => b.op === s.op);
      if (binding?.impl.kind === "asm") impl.bytes = toHex(binding.impl.code.bytes);
      return impl;
    }),
  }));
  const sites: PatchTableSite[] = readSiteRecords(image).map((r) => {
    const fn = enclosingFunction(image, r.section, r.offset);
    const op = model.ops[r.type];
    return {
      symbol: fn?.name ?? r.section,
      offset: fn ? r.offset - Number(fn.value) : r.offset,
      sectionOffset: r.offset,
      op: op ? op.qualifiedName : `#${r.type}`,
      type: r.type,
      length: r.length,
      clobbers: registersOfMask(r.clobbers).map((x) => x.name),
      clobberMask: r.clobbers,
    };
  });
  return {
    format: PATCH_TABLE_FORMAT,
    version: PATCH_TABLE_VERSION,
    target: "x86_64",
    source,
    ops,
    backends,
    thunks: thunks.map((t) => ({
      symbol: t.symbol,
      target: t.target,
      saves: t.saves.map((r) => r.name),
      savedPushes: t.fullSaves.length - t.saves.length,
    })),
    sites,
  };
}
