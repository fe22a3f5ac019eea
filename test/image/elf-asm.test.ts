/**
 * The whole .o path of `pvopc asm`: pvopc's assembler makes an Image of each corpus source,
 * writeElf writes it, and the object must be byte-identical to what as makes of the same text.
 * A source that uses what pvopc's assembler does not support yet (it says so with an error
 * diagnostic) is skipped, named in the test title.
 */
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { writeElf } from "../../src/image/elf-write.js";
import { corpusSources, gnuObject, onObject } from "./oracle.js";

/**
 * Differences known today, each with its cause; `it.fails` keeps them visible and turns red
 * once fixed, so the entry gets removed.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

describe.each(corpusSources())("pvopc asm + writeElf on $name", ({ name, path, text }) => {
  const result = assemble(new SourceFile(path, text));
  const unsupported = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
  const title = unsupported.length ? `matches as (skipped: ${[...new Set(unsupported)].join("; ")})` : "matches as byte for byte";
  const test = KNOWN_DIFFERENCES[name] && !unsupported.length ? it.fails : it.skipIf(unsupported.length > 0);

  test(title, () => {
    const ours = writeElf(result.image);
    const gnu = gnuObject(text);
    expect(onObject(ours, "readelf", ["-a", "-W"]).stdout).toBe(onObject(gnu, "readelf", ["-a", "-W"]).stdout);
    expect(Buffer.from(ours).equals(Buffer.from(gnu))).toBe(true);
  });
});
