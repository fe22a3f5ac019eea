/**
 * The whole .o path of `pvopc asm`: pvopc's assembler makes an Image of each corpus source,
 * writeElf writes it, and the object must be byte-identical to what as makes of the same text.
 * Every corpus source must assemble without errors: the corpus is what pvopc supports.
 */
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { writeElf } from "../../src/image/elf-write.js";
import { corpusSources, gnuObject, onObject } from "./oracle.js";

describe.each(corpusSources())("pvopc asm + writeElf on $name", ({ path, text }) => {
  it("matches as byte for byte", () => {
    const result = assemble(new SourceFile(path, text));
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
    const ours = writeElf(result.image);
    const gnu = gnuObject(text);
    expect(onObject(ours, "readelf", ["-a", "-W"]).stdout).toBe(onObject(gnu, "readelf", ["-a", "-W"]).stdout);
    expect(Buffer.from(ours).equals(Buffer.from(gnu))).toBe(true);
  });
});
