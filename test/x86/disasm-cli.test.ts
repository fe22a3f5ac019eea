/** `pvopc disasm`: the listing format, --base, files, and usage errors (exit 2). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const pvopc = (...args: string[]) => runCli(args);

describe("pvopc disasm", () => {
  it("lists ADDR:<TAB>BYTES<TAB>TEXT lines from --hex at --base", async () => {
    const r = await pvopc("disasm", "--hex", "48 89e5 ff1500000000 ebfe 0f", "--base", "0x1000");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      ["1000:\t48 89 e5\tmov    %rsp,%rbp", "1003:\tff 15 00 00 00 00\tcall   *0x0(%rip)        # 0x1009", "1009:\teb fe\tjmp    0x1009", "100b:\t0f\t(bad)", ""].join("\n"),
    );
  });

  it("reads raw bytes from a file, with a decimal base", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pvopc-disasm-")), "code.bin");
    writeFileSync(file, Uint8Array.of(0x9c, 0x58, 0xc3));
    const r = await pvopc("disasm", file, "--base", "16");
    expect(r.stdout).toBe("10:\t9c\tpushf\n11:\t58\tpop    %rax\n12:\tc3\tret\n");
  });

  it.each([
    [["disasm", "--hex", "4g"], "'g' is not a hex digit"],
    [["disasm", "--hex", "489"], "odd number of hex digits"],
    [["disasm", "--hex", "90", "--base", "-1"], "not a 64-bit address"],
    [["disasm", "--hex", "90", "--base", "zz"], "is not a number"],
    [["disasm"], "give either a FILE or --hex"],
    [["disasm", "/no/such/file"], "cannot read"],
  ])("rejects %j with exit 2", async (args, message) => {
    const r = await pvopc(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
  });
});
