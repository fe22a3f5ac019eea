/** `pvopc build`: what it writes, what it prints, and that a failed build writes nothing. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "pvopc-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pvopc build", () => {
  it("writes the four outputs, equal to the goldens, and prints the report", async () => {
    const out = join(dir, "kvm");
    const r = await runCli(["build", "examples/kvm.pvop", "-o", out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("2 ops, 3 backends, 1 thunks, 3 call sites");
    expect(r.stdout).toContain("thunk __raw_callee_save_kvm_vcpu_is_preempted_c: 1 push/pop pairs (7 fewer than a full thunk");
    expect(readdirSync(out).sort()).toEqual(["kvm.S", "kvm.h", "kvm.o", "patch-table.json"]);
    for (const name of readdirSync(out)) {
      expect(readFileSync(join(out, name)).equals(readFileSync(join("test", "golden", "kvm", name))), name).toBe(true);
    }
  });

  it("writes only what --emit asks for", async () => {
    const out = join(dir, "only-h");
    expect((await runCli(["build", "examples/kvm.pvop", "-o", out, "--emit", "h,json", "-q"])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["kvm.h", "patch-table.json"]);
  });

  it("exits 1 on an input error and writes nothing", async () => {
    const bad = join(dir, "bad.pvop");
    writeFileSync(bad, "group g {\n  op a() -> u64 { nop }\n}\n");
    const out = join(dir, "bad-out");
    const r = await runCli(["build", bad, "-o", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.pvop:2:\d+: error: .*\[PV2\d{3}\]/);
    expect(existsSync(out)).toBe(false);
  });

  it("exits 2 on usage errors", async () => {
    expect((await runCli(["build", "examples/kvm.pvop", "-o", join(dir, "x"), "--emit", "s,exe"])).code).toBe(2);
    expect((await runCli(["build", "examples/kvm.pvop"])).code).toBe(2);
    expect((await runCli(["build", join(dir, "missing.pvop"), "-o", join(dir, "y")])).code).toBe(2);
  });
});
