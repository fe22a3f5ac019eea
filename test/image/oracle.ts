/**
 * GNU binutils as the oracle for object files: readelf, objdump and ld run on bytes written to a
 * temporary directory, with their exit status and stderr kept (warnings are findings here).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readElf } from "../../src/image/elf-read.js";
import type { Image } from "../../src/image/image.js";
import { withTempDir } from "../support/toolchain.js";

export const CORPUS_DIR = join(import.meta.dirname, "corpus");

export function corpusSources(): { name: string; path: string; text: string }[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith(".s"))
    .sort()
    .map((f) => ({ name: f.replace(/\.s$/, ""), path: join(CORPUS_DIR, f), text: readFileSync(join(CORPUS_DIR, f), "utf8") }));
}

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function tool(cmd: string, args: readonly string[], cwd?: string): ToolRun {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The object `as --64 --noexecstack` makes from `source`: what writeElf aims to reproduce. */
export function gnuObject(source: string): Uint8Array {
  return withTempDir((dir) => {
    writeFileSync(join(dir, "in.s"), source);
    const r = tool("as", ["--64", "--noexecstack", "-o", join(dir, "in.o"), join(dir, "in.s")]);
    if (r.status !== 0) throw new Error(`as failed: ${r.stderr}`);
    return new Uint8Array(readFileSync(join(dir, "in.o")));
  });
}

/** Runs a binutils tool on `object` written as `obj.o` in a fresh directory. */
export function onObject(object: Uint8Array, cmd: string, args: readonly string[]): ToolRun {
  return withTempDir((dir) => {
    writeFileSync(join(dir, "obj.o"), object);
    return tool(cmd, [...args, "obj.o"], dir);
  });
}

/**
 * Links `object` with ld (extra arguments such as -Ttext or a script first) and returns the
 * alloc sections' bytes as `objcopy -O binary` lays them out, or ld's complaint.
 */
export function linkedBinary(object: Uint8Array, ldArgs: readonly string[]): { ok: true; binary: Uint8Array; elf: Uint8Array } | { ok: false; stderr: string } {
  return withTempDir((dir) => {
    writeFileSync(join(dir, "obj.o"), object);
    const ld = tool("ld", [...ldArgs, "-o", "out.elf", "obj.o"], dir);
    if (ld.status !== 0 || ld.stderr !== "") return { ok: false, stderr: ld.stderr };
    const copy = tool("objcopy", ["-O", "binary", "out.elf", "out.bin"], dir);
    if (copy.status !== 0) return { ok: false, stderr: copy.stderr };
    return { ok: true, binary: new Uint8Array(readFileSync(join(dir, "out.bin"))), elf: new Uint8Array(readFileSync(join(dir, "out.elf"))) };
  });
}

/** Address of each section of a linked executable, from `readelf -S -W`. */
export function sectionAddresses(elf: Uint8Array): Map<string, bigint> {
  const out = onObject(elf, "readelf", ["-S", "-W"]).stdout;
  const addresses = new Map<string, bigint>();
  for (const m of out.matchAll(/^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s/gm)) addresses.set(m[1]!, BigInt("0x" + m[2]));
  return addresses;
}

/** readElf for objects the test knows are good: a failure is the test's error. */
export function readOk(bytes: Uint8Array): Image {
  const r = readElf(bytes);
  if (!r.ok) throw new Error(r.error);
  return r.image;
}
