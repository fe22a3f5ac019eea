/**
 * `pvopc asm` through the real binary (bin/pvopc runs the built dist/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { withTempDir } from "../support/toolchain.js";
import { gnuAs } from "./oracle.js";

const BIN = join(import.meta.dirname, "../../bin/pvopc");

function pvopc(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SOURCE = "nop\nfoo: movq %rax, (%rbx) # comment\n  jmp foo; ret\n.data\n.long 7\n";

describe("pvopc asm", () => {
  test("an output that cannot be written is a usage error, and a device is written in place, not replaced", () => {
    const proc = spawnSync(process.execPath, [BIN, "asm", "-", "-o", "/proc/pvopc-test/out.o"], { input: "nop\n", encoding: "utf8", timeout: 30_000 });
    // Node's recursive mkdir used to loop forever under /proc.
    expect([proc.status, proc.stderr]).toEqual([2, "pvopc: usage error: cannot write '/proc/pvopc-test/out.o': ENOENT\n"]);
    withTempDir((dir) => {
      const file = join(dir, "plain");
      writeFileSync(file, "");
      expect(pvopc(["asm", "-", "-o", join(file, "out.o")], "nop\n").stderr).toContain("ENOTDIR");
    });
    withTempDir((dir) => {
      const fifo = join(dir, "fifo");
      const r = spawnSync("sh", ["-c", `mkfifo fifo && { cat fifo > got & "${process.execPath}" "${BIN}" asm - --format bin -o fifo; wait; }`], { cwd: dir, input: "nop\n", timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(statSync(fifo).isFIFO()).toBe(true);
      expect([...readFileSync(join(dir, "got"))]).toEqual([0x90]);
    });
  });

  test("a reader that closes the pipe early ends the listing quietly", () => {
    const source = "nop\n".repeat(200_000);
    const r = spawnSync("sh", ["-c", `"${process.execPath}" "${BIN}" asm - --listing | head -1`], { input: source, encoding: "utf8" });
    expect(r.stdout).toBe("1\t0\t90\tnop\n");
    expect(r.stderr).toBe("");
  });

  test("--listing prints LINE, OFFSET, HEX and SOURCE for each line with bytes", () => {
    const r = pvopc(["asm", "-", "--listing"], SOURCE);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      ["1\t0\t90\tnop", "2\t1\t488903\tfoo: movq %rax, (%rbx) # comment", "3\t4\tebfbc3\t  jmp foo; ret", "5\t0\t07000000\t.long 7", ""].join("\n"),
    );
  });

  test("--hex prints the .text bytes", () => {
    const r = pvopc(["asm", "-", "--hex"], SOURCE);
    expect(r.stdout).toBe("90488903ebfbc3\n");
  });

  test("-o --format bin writes the raw .text bytes; -o writes as's ELF object", () =>
    withTempDir((dir) => {
      const s = join(dir, "in.s");
      writeFileSync(s, SOURCE);
      expect(pvopc(["asm", s, "-o", join(dir, "out.bin"), "--format", "bin"]).status).toBe(0);
      expect(Buffer.from(readFileSync(join(dir, "out.bin"))).toString("hex")).toBe("90488903ebfbc3");
      expect(pvopc(["asm", s, "-o", join(dir, "out.o")]).status).toBe(0);
      const gnu = gnuAs(SOURCE, ["--noexecstack"]).object!;
      expect(Buffer.from(readFileSync(join(dir, "out.o"))).equals(Buffer.from(gnu))).toBe(true);
    }));

  test("errors: every one reported GCC-style, exit 1, no output file", () =>
    withTempDir((dir) => {
      const s = join(dir, "bad.s");
      writeFileSync(s, "movl %ax, %ebx\nnop\nfrob %eax\n");
      const out = join(dir, "bad.o");
      const r = pvopc(["asm", s, "-o", out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${s}:1:6: error: operand size mismatch for 'movl': %ax is 16-bit, expected a 32-bit register [PV1004]`);
      expect(r.stderr).toContain(`${s}:3:1: error: unknown instruction mnemonic 'frob' [PV1001]`);
      expect(r.stderr).not.toContain("    at ");
      expect(existsSync(out)).toBe(false);
    }));

  test("usage errors exit 2", () => {
    expect(pvopc(["asm", "-", "--format", "coff"], "nop\n").status).toBe(2);
    expect(pvopc(["asm", "/nonexistent/file.s"]).status).toBe(2);
  });
});
