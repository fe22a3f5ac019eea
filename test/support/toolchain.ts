/**
 * The oracles nobody here wrote: GNU as, objdump, readelf, ld and gcc from this machine's
 * binutils 2.40. Tests call these to get the reference answer for the same input.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "pvopc-test-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { input, encoding: "utf8", maxBuffer: 1 << 28, stdio: ["pipe", "pipe", "pipe"] });
}

/** Assembles `source` with GNU as --64 and returns the object file's bytes. Throws on error. */
/** What `gcc -S` makes of the C text `source`, compiled as a file called `name`, with `flags`. */
export function gccAssembly(name: string, source: string, flags: readonly string[]): string {
  return withTempDir((dir) => {
    writeFileSync(join(dir, name), source);
    execFileSync("gcc", [...flags, "-S", "-o", "out.s", name], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    return readFileSync(join(dir, "out.s"), "utf8");
  });
}

export function gnuAssemble(source: string): Uint8Array {
  return withTempDir((dir) => {
    const s = join(dir, "in.s");
    const o = join(dir, "out.o");
    writeFileSync(s, source);
    run("as", ["--64", "-o", o, s]);
    return new Uint8Array(readFileSync(o));
  });
}

/** The raw bytes of one section of an object `as` makes from `source`. */
export function gnuSectionBytes(source: string, section = ".text"): Uint8Array {
  return withTempDir((dir) => {
    const s = join(dir, "in.s");
    const o = join(dir, "out.o");
    const b = join(dir, "out.bin");
    writeFileSync(s, source);
    run("as", ["--64", "-o", o, s]);
    run("objcopy", ["-O", "binary", "--only-section", section, o, b]);
    return new Uint8Array(readFileSync(b));
  });
}

/** `objdump -d` of raw x86-64 bytes, as [address, bytes, text] rows (continuation lines merged). */
export function objdumpRaw(bytes: Uint8Array, base = 0n): { addr: bigint; bytes: string; text: string }[] {
  return withTempDir((dir) => {
    const b = join(dir, "in.bin");
    writeFileSync(b, bytes);
    const out = run("objdump", [
      "-D",
      "-b",
      "binary",
      "-m",
      "i386:x86-64",
      `--adjust-vma=0x${base.toString(16)}`,
      b,
    ]);
    return parseObjdump(out);
  });
}

/** Parses objdump -d output lines `  addr:\tbytes\ttext`, folding the byte-continuation lines. */
export function parseObjdump(out: string): { addr: bigint; bytes: string; text: string }[] {
  const rows: { addr: bigint; bytes: string; text: string }[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$/.exec(line);
    if (!m) continue;
    const addr = BigInt("0x" + m[1]);
    if (m[3] === undefined && rows.length) {
      rows[rows.length - 1]!.bytes += " " + m[2]!.trim();
      continue;
    }
    rows.push({ addr, bytes: m[2]!.trim(), text: (m[3] ?? "").trim() });
  }
  return rows;
}
