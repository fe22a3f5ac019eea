/**
 * `pvopc build` on every bundled example, held to the real toolchain: GNU as assembles the .S
 * to the same sections, symbols and relocations as our Image; our ELF object is read by
 * readelf without a warning, disassembles like as's, and links; gcc compiles the header with
 * -Werror and links a caller of every wrapper against the object; patch-table.json matches
 * its schema; and every output equals its golden file (`npm run accept` updates them).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { readElf } from "../../src/image/elf-read.js";
import type { Image } from "../../src/image/image.js";
import { check, readImportFromDisk } from "../../src/lang/index.js";
import type { Model } from "../../src/lang/model.js";
import { build, type BuildArtifacts } from "../../src/pvop/build.js";
import { nativeSymbol } from "../../src/pvop/names.js";
import { readSiteRecords } from "../../src/pvop/patch-table.js";
import { run, withTempDir } from "../support/toolchain.js";

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".pvop"))
  .sort();

function compile(path: string): { model: Model; artifacts: BuildArtifacts } {
  const source = new SourceFile(path, readFileSync(path, "utf8"));
  const checked = check(source, { readImport: readImportFromDisk });
  expect(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const stem = path.replace(/^.*\//, "").replace(/\.pvop$/, "");
  const result = build(checked.model, { sourceName: path, baseName: stem });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  return { model: checked.model, artifacts: result.artifacts };
}

/** Sections, symbols and relocations in a form two objects can be compared by. */
function describeImage(image: Image) {
  return {
    sections: image.sections
      .filter((s) => s.name !== ".note.GNU-stack")
      .map((s) => ({
        name: s.name,
        kind: s.kind,
        flags: s.flags,
        align: s.align,
        bytes: s.kind === "nobits" ? `nobits:${s.data.length}` : Buffer.from(s.data).toString("hex"),
        relocations: s.relocations.map((r) => `${r.offset.toString(16)} ${r.type} ${r.symbol}${r.addend >= 0n ? "+" : ""}${r.addend}`),
      }))
      .filter((s) => s.bytes !== "" && s.bytes !== "nobits:0"),
    symbols: image.symbols
      .filter((s) => s.type !== "section")
      .map((s) => `${s.name} ${s.section ?? "UND"} ${s.value.toString(16)} ${s.size} ${s.binding} ${s.type}`)
      .sort(),
  };
}

function readObject(bytes: Uint8Array): Image {
  const r = readElf(bytes);
  if (!r.ok) throw new Error(r.error);
  return r.image;
}

/** C definitions for every external function the build references, so that a final link succeeds. */
function externStubs(model: Model): string {
  const names = new Set<string>();
  for (const b of model.backends) for (const bind of b.bindings) if (bind.impl.kind === "c") names.add(bind.impl.symbol);
  for (const e of [...model.externs, ...model.backends.flatMap((b) => b.externs)]) names.add(e.name);
  return [...names].map((n) => `void ${n}(void) {}\n`).join("");
}

describe.each(EXAMPLES)("build %s", (example) => {
  const path = join("examples", example);
  const stem = example.replace(/\.pvop$/, "");
  let model: Model;
  let artifacts: BuildArtifacts;
  beforeAll(() => ({ model, artifacts } = compile(path)));

  it("matches the golden files", () => {
    const dir = join("test", "golden", stem);
    const expected: [string, string | Uint8Array][] = [
      [`${stem}.S`, artifacts.assembly],
      [`${stem}.h`, artifacts.header],
      ["patch-table.json", JSON.stringify(artifacts.patchTable, null, 2) + "\n"],
      [`${stem}.o`, artifacts.object],
    ];
    for (const [name, data] of expected) {
      const file = join(dir, name);
      expect(existsSync(file), `${file} is missing: run npm run accept`).toBe(true);
      const golden = readFileSync(file);
      if (typeof data === "string") expect(data, `${file} differs: review, then npm run accept`).toBe(golden.toString("utf8"));
      else expect(Buffer.from(data).equals(golden), `${file} differs: review, then npm run accept`).toBe(true);
    }
  });

  it("assembles with GNU as to the same sections, symbols and relocations", () =>
    withTempDir((dir) => {
      writeFileSync(join(dir, "out.S"), artifacts.assembly);
      const warnings = run("sh", ["-c", `as --64 -o ${dir}/as.o ${dir}/out.S 2>&1`]);
      expect(warnings).toBe("");
      const theirs = readObject(new Uint8Array(readFileSync(join(dir, "as.o"))));
      expect(describeImage(readObject(artifacts.object))).toEqual(describeImage(theirs));
      expect(describeImage(artifacts.image)).toEqual(describeImage(theirs));
    }));

  it("writes an object readelf, objdump and ld accept", () =>
    withTempDir((dir) => {
      const ours = join(dir, "ours.o");
      writeFileSync(ours, artifacts.object);
      writeFileSync(join(dir, "out.S"), artifacts.assembly);
      run("as", ["--64", "-o", join(dir, "as.o"), join(dir, "out.S")]);
      const readelf = run("sh", ["-c", `readelf -a -W ${ours} 2>&1 >/dev/null`]);
      expect(readelf).toBe("");
      const dis = (f: string) => run("objdump", ["-d", "-r", f]).split("\n").slice(2).join("\n");
      expect(dis(ours)).toBe(dis(join(dir, "as.o")));
      run("ld", ["-r", "-o", join(dir, "relocatable.o"), ours]);
    }));

  it("has a header gcc compiles with -Werror, whose wrappers link against the object", () =>
    withTempDir((dir) => {
      writeFileSync(join(dir, `${stem}.h`), artifacts.header);
      writeFileSync(join(dir, `${stem}.o`), artifacts.object);
      const calls = model.ops.map((op) => {
        const args = op.params.map((p) => (p.type === "ptr" ? "(void *)0" : "1")).join(", ");
        return `\t${op.returns ? "sink ^= (unsigned long)" : ""}pvcall_${op.group}_${op.name}(${args});`;
      });
      const natives = model.ops.map((op) => `\tsink ^= (unsigned long)&${nativeSymbol(op)};`);
      writeFileSync(
        join(dir, "caller.c"),
        `#include "${stem}.h"\nunsigned long sink;\nvoid call_everything(void)\n{\n${calls.join("\n")}\n${natives.join("\n")}\n}\nint main(void) { return (int)sink; }\n`,
      );
      writeFileSync(join(dir, "stubs.c"), externStubs(model));
      const flags = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-mno-red-zone"];
      run("gcc", [...flags, "-c", "-o", join(dir, "caller.o"), join(dir, "caller.c")]);
      // Every wrapper emits one site record with its op's type, the call's length and its clobbers.
      const records = readSiteRecords(readObject(new Uint8Array(readFileSync(join(dir, "caller.o")))));
      const key = (r: { type: number; length: number; clobbers: number }) => `${r.type}/${r.length}/${r.clobbers}`;
      expect(records.map(key).sort()).toEqual(model.ops.map((op) => key({ type: op.type, length: 6, clobbers: op.clobbers })).sort());
      run("gcc", ["-no-pie", "-o", join(dir, "a.out"), join(dir, "caller.o"), join(dir, `${stem}.o`), join(dir, "stubs.c")]);
    }));

  it("writes a patch table that matches its JSON Schema and the model", () => {
    const ajv = new Ajv2020({ allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync("schema/patch-table.schema.json", "utf8")));
    const table = JSON.parse(JSON.stringify(artifacts.patchTable));
    expect(validate(table), JSON.stringify(validate.errors)).toBe(true);
    expect(table.ops.map((o: { type: number }) => o.type)).toEqual(model.ops.map((_, i) => i));
    const sites = model.scenarios.flatMap((s) => s.code?.sites ?? []);
    expect(table.sites.map((s: { type: number; length: number }) => [s.type, s.length])).toEqual(sites.map((s) => [s.op.type, s.room]));
  });
});
