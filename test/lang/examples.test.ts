/** The examples check clean and resolve to the Model the reference facts predict. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { check, readImportFromDisk, type Model } from "../../src/lang/index.js";
import { CLBR_ANY, CLBR_RAX } from "../../src/pvop/abi.js";

const root = join(import.meta.dirname, "..", "..");

function checkExample(name: string) {
  const path = join(root, "examples", name);
  return check(new SourceFile(path, readFileSync(path, "utf8")), { readImport: readImportFromDisk });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function nativeBytes(model: Model, qualified: string): string {
  const op = model.ops.find((o) => o.qualifiedName === qualified)!;
  expect(op.native.kind).toBe("body");
  return op.native.kind === "body" ? hex(op.native.code.bytes) : "";
}

function binding(model: Model, backend: string, qualified: string) {
  return model.backends.find((b) => b.name === backend)!.bindings.find((b) => b.op.qualifiedName === qualified)!;
}

describe("examples", () => {
  for (const name of ["linux-x86_64.pvop", "xen.pvop", "kvm.pvop", "lguest.pvop"]) {
    it(`${name} checks clean`, () => {
      expect(checkExample(name).diagnostics.map((d) => `${d.file.position(d.span.start).line}: ${d.message}`)).toEqual([]);
    });
  }

  it("the reference example in docs/language.md compiles as written", () => {
    const doc = readFileSync(join(root, "docs", "language.md"), "utf8");
    const reference = /```pvop\n([^]*?)```/.exec(doc)![1]!;
    expect(reference).toContain("scenario irq_round_trip");
    const result = check(new SourceFile("reference.pvop", reference));
    expect(result.diagnostics.map((d) => d.message)).toEqual([]);
  });

  it("numbers ops across groups and gives each an 8-byte slot", () => {
    const { model } = checkExample("linux-x86_64.pvop");
    model.ops.forEach((op, i) => {
      expect(op.type).toBe(i);
      expect(op.slotOffset).toBe(8 * i);
    });
    expect(model.ops.slice(0, 3).map((o) => o.qualifiedName)).toEqual(["pv_irq_ops.save_fl", "pv_irq_ops.restore_fl", "pv_irq_ops.irq_disable"]);
    expect(model.groups.map((g) => g.name)).toEqual(["pv_irq_ops", "pv_mmu_ops", "pv_cpu_ops", "pv_lock_ops", "pv_time_ops"]);
  });

  it("assembles the native bodies to the bytes Linux patches in", () => {
    const { model } = checkExample("linux-x86_64.pvop");
    expect(nativeBytes(model, "pv_irq_ops.irq_disable")).toBe("fa");
    expect(nativeBytes(model, "pv_irq_ops.irq_enable")).toBe("fb");
    expect(nativeBytes(model, "pv_irq_ops.save_fl")).toBe("9c58");
    expect(nativeBytes(model, "pv_irq_ops.restore_fl")).toBe("579d");
    expect(nativeBytes(model, "pv_mmu_ops.read_cr2")).toBe("0f20d0");
    expect(nativeBytes(model, "pv_mmu_ops.read_cr3")).toBe("0f20d8");
    expect(nativeBytes(model, "pv_mmu_ops.write_cr3")).toBe("0f22df");
    expect(nativeBytes(model, "pv_cpu_ops.wbinvd")).toBe("0f09");
    expect(nativeBytes(model, "pv_cpu_ops.usergs_sysret64")).toBe("0f01f8480f07");
    expect(nativeBytes(model, "pv_lock_ops.queued_spin_unlock")).toBe("c60700");
    expect(nativeBytes(model, "pv_lock_ops.vcpu_is_preempted")).toBe("31c0");
  });

  it("resolves conventions, clobbers and native forms", () => {
    const { model } = checkExample("linux-x86_64.pvop");
    const op = (q: string) => model.ops.find((o) => o.qualifiedName === q)!;
    expect(op("pv_irq_ops.save_fl").convention.name).toBe("callee_save");
    expect(op("pv_irq_ops.save_fl").clobbers).toBe(CLBR_RAX);
    expect(op("pv_irq_ops.safe_halt").convention.name).toBe("c");
    expect(op("pv_irq_ops.safe_halt").clobbers).toBe(CLBR_ANY);
    expect(op("pv_mmu_ops.pte_val").native.kind).toBe("identity");
    expect(op("pv_mmu_ops.alloc_pte").native.kind).toBe("nop");
    expect(op("pv_mmu_ops.write_cr3").params.map((p) => [p.name, p.type, p.register.name])).toEqual([["cr3", "u64", "rdi"]]);
    expect(op("pv_lock_ops.vcpu_is_preempted").returns).toBe("bool");
    expect(model.conventions.get("callee_save")!.file).toBeDefined();
  });

  it("binds backends: asm impls with bytes, c impls with callee-save thunks", () => {
    const { model } = checkExample("linux-x86_64.pvop");
    expect(model.backends.map((b) => b.name)).toEqual(["native", "xen", "kvm"]);
    const disable = binding(model, "xen", "pv_irq_ops.irq_disable");
    expect(disable.impl.kind === "asm" && hex(disable.impl.code.bytes)).toBe("65c604250000000001");
    const saveFl = binding(model, "xen", "pv_irq_ops.save_fl").impl;
    expect(saveFl.kind === "c" && saveFl.thunk?.symbol).toBe("__raw_callee_save_xen_save_fl");
    expect(saveFl.kind === "c" && saveFl.thunk?.saves.map((r) => r.name)).toEqual(["rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"]);
    // write_cr3 follows convention c: no thunk.
    const writeCr3 = binding(model, "xen", "pv_mmu_ops.write_cr3").impl;
    expect(writeCr3.kind === "c" && writeCr3.thunk).toBeUndefined();
    const xen = model.backends.find((b) => b.name === "xen")!;
    expect(xen.data.map((d) => [d.name, d.size, d.percpu])).toEqual([["xen_vcpu_info", 64, true]]);
    const kvm = model.backends.find((b) => b.name === "kvm")!;
    expect(kvm.data.map((d) => [d.name, d.size])).toEqual([
      ["__per_cpu_offset", 512],
      ["steal_time_preempted", 1],
    ]);
  });

  it("lays out scenario code with pvcall sites and resolves init and expect", () => {
    const { model } = checkExample("linux-x86_64.pvop");
    const s = model.scenarios.find((x) => x.name === "irq_round_trip")!;
    expect(s.code!.sites.map((x) => [x.op.qualifiedName, x.offset, x.room, x.clobbers])).toEqual([
      ["pv_irq_ops.save_fl", 0, 6, CLBR_RAX],
      ["pv_irq_ops.irq_disable", 9, 6, CLBR_RAX],
      ["pv_irq_ops.restore_fl", 18, 6, CLBR_RAX],
    ]);
    // movq %rax, %r12 sits between the first two sites.
    expect(hex(s.code!.bytes.subarray(6, 9))).toBe("4989c4");
    expect(s.init.map((a) => [a.location.kind, a.value.addend])).toEqual([
      ["register", 0x1234n],
      ["flag", 1n],
    ]);
    expect(s.expectations.every((e) => e.backend === "native")).toBe(true);
    const unlock = model.scenarios.find((x) => x.name === "unlock")!;
    expect(unlock.init.find((a) => a.location.kind === "register")!.value).toEqual({ symbol: "test_lock", addend: 0n });
    const msr = model.scenarios.find((x) => x.name === "msr_and_tsc")!;
    expect(msr.code!.sites.map((x) => [x.room, x.clobbers])).toEqual([
      [12, CLBR_ANY],
      [12, 0b101],
    ]);
  });

  it("imports a shared op set and keeps the imported file's spans", () => {
    const { model } = checkExample("xen.pvop");
    expect(model.files.map((f) => f.name.replace(/.*examples\//, ""))).toEqual(["xen.pvop", "common/pv-irq-ops.pvop"]);
    expect(model.ops[0]!.file.name).toMatch(/pv-irq-ops\.pvop$/);
    expect(model.ops[0]!.doc).toBe("Returns the flags; only bit 9 (IF) is meaningful.");
    const enable = binding(model, "xen", "pv_irq_ops.irq_enable").impl;
    // movb $0,%gs:..; testb $0xff,%gs:..; jz 1f; call check_events; 1:
    expect(enable.kind === "asm" && hex(enable.code.bytes)).toBe("65c60425000000000065f6042500000000ff7405e800000000");
  });

  it("kvm: push/pop restores the argument register; the c impl gets a thunk", () => {
    const { model } = checkExample("kvm.pvop");
    expect(model.backends.map((b) => b.bindings.length)).toEqual([0, 1, 1, 1]);
    const c = binding(model, "kvm_c", "pv_lock_ops.vcpu_is_preempted").impl;
    expect(c.kind === "c" && c.thunk?.symbol).toBe("__raw_callee_save_kvm_vcpu_is_preempted_c");
    const v1 = binding(model, "kvm_v1", "pv_lock_ops.vcpu_is_preempted").impl;
    expect(v1.kind === "asm" && v1.code.instructions.length).toBe(9);
  });

  it("lguest: cli and sti are longer than a call site", () => {
    const { model } = checkExample("lguest.pvop");
    const size = (q: string) => {
      const impl = binding(model, "lguest", q).impl;
      return impl.kind === "asm" ? impl.code.bytes.length : 0;
    };
    expect(size("pv_irq_ops.irq_disable")).toBe(10);
    expect(size("pv_irq_ops.irq_enable")).toBe(10);
    expect(size("pv_irq_ops.save_fl")).toBeLessThanOrEqual(6);
  });
});
