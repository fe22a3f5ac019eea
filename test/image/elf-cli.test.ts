/** `pvopc asm FILE -o OBJ` writes, through writeElf, the object as makes of the same source. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { withTempDir } from "../support/toolchain.js";
import { corpusSources, gnuObject } from "./oracle.js";

it("pvopc asm -o writes as's object for the .parainstructions corpus source", async () => {
  const source = corpusSources().find((c) => c.name === "parainstructions")!;
  const written = await withTempDir(async (dir) => {
    const out = join(dir, "out.o");
    expect(await main(["asm", source.path, "-o", out])).toBe(0);
    return new Uint8Array(readFileSync(out));
  });
  expect(Buffer.from(written).equals(Buffer.from(gnuObject(source.text)))).toBe(true);
});
