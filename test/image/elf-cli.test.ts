/** `pvopc asm FILE -o OBJ` writes, through writeElf, the object as makes of the same source. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { corpusSources, gnuObject } from "./oracle.js";

it("pvopc asm -o writes as's object for the .parainstructions corpus source", async () => {
  const source = corpusSources().find((c) => c.name === "parainstructions")!;
  // withTempDir is synchronous, and main() is not.
  const dir = mkdtempSync(join(tmpdir(), "pvopc-test-"));
  try {
    const out = join(dir, "out.o");
    expect(await main(["asm", source.path, "-o", out])).toBe(0);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(gnuObject(source.text)))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
