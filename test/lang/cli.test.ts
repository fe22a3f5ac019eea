/** `pvopc check`: exit codes, GCC-style text, JSON and SARIF, -Werror. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "pvopc-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const run = (...args: string[]) => runCli(["check", ...args]);

const GOOD = file("good.pvop", "group g {\n  op a() { native { cli } }\n}\n");
const WARN = file("warn.pvop", "group g {\n  op a() { native { } }\n}\n");
const BAD = file("bad.pvop", "group g {\n  op a() -> u64 { nop }\n}\n");

describe("pvopc check", () => {
  it("exits 0 on a clean file and prints nothing", async () => {
    expect(await run(GOOD)).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("exits 1 with GCC-style errors: location, message, code, source line, caret", async () => {
    const { code, stderr } = await run(BAD);
    expect(code).toBe(1);
    expect(stderr).toBe(`${BAD}:2:19: error: op 'g.a' is 'nop' but returns u64: a nop leaves no value in rax [PV2204]\n   op a() -> u64 { nop }\n                   ^~~\n`);
  });

  it("warnings keep exit 0; -Werror makes them errors", async () => {
    expect((await run(WARN)).code).toBe(0);
    const strict = await run("-Werror", WARN);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("error: native body of g.a is empty");
    expect(strict.stderr).toContain("[-Werror]");
  });

  it("checks several files in one run", async () => {
    const { code, stderr } = await run(GOOD, BAD, WARN);
    expect(code).toBe(1);
    expect(stderr).toContain("bad.pvop:2:19");
    expect(stderr).toContain("warn.pvop:2:20");
  });

  it("--diagnostics-format json and sarif", async () => {
    const json = await run("--diagnostics-format", "json", BAD);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).diagnostics[0]).toMatchObject({ code: "PV2204", line: 2, column: 19, severity: "error" });
    const sarif = await run("--diagnostics-format", "sarif", BAD);
    const log = JSON.parse(sarif.stdout);
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0].results[0]).toMatchObject({ ruleId: "PV2204", level: "error" });
  });

  it("exits 2 on usage errors", async () => {
    expect((await run()).code).toBe(2);
    expect((await run(join(dir, "missing.pvop"))).code).toBe(2);
    expect((await run("--diagnostics-format", "xml", GOOD)).code).toBe(2);
    expect((await run("-Wall", GOOD)).code).toBe(2);
  });

  it("never colours when NO_COLOR is set", async () => {
    process.env.NO_COLOR = "1";
    try {
      expect((await run(BAD)).stderr).not.toContain("\u001b[");
    } finally {
      delete process.env.NO_COLOR;
    }
  });
});
