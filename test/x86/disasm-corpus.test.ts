/**
 * Differential test against GNU as and objdump: a corpus with every non-alias table form in
 * every operand shape is assembled by as; each instruction of the result must decode to the
 * length and text objdump -d prints for the same bytes, every form must occur, and decoding
 * then encoding must give the bytes back.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { decodeAll } from "../../src/x86/decode.js";
import { formatInstruction } from "../../src/x86/print.js";
import { FORMS } from "../../src/x86/table.js";
import { objdumpRaw } from "../support/toolchain.js";
import { corpusSource } from "./disasm-gen.mjs";
import { assembleAcceptedLines, hexBytes, roundTripFailures, squash } from "./disasm-support.js";

describe("decoder against GNU as and objdump on the corpus of every form", () => {
  let decoded: ReturnType<typeof decodeAll>;
  let reference: ReturnType<typeof objdumpRaw>;
  let dropped = 0;
  beforeAll(() => {
    const assembled = assembleAcceptedLines(corpusSource(FORMS));
    dropped = assembled.dropped;
    decoded = decodeAll(assembled.bytes, 0n);
    reference = objdumpRaw(assembled.bytes);
  });

  it("assembles nearly every generated line", () => {
    expect(dropped).toBeLessThan(200);
    expect(decoded.length).toBeGreaterThan(15000);
  });

  it("decodes every instruction to objdump's length and text", () => {
    const problems: string[] = [];
    const theirs = new Map(reference.map((r) => [r.addr, r]));
    for (const d of decoded) {
      const ref = theirs.get(d.address);
      const ours = d.result.ok ? formatInstruction(d.result.instruction, d.address, d.result.length) : `(bad: ${d.result.reason})`;
      if (!ref || ref.bytes !== hexBytes(d.bytes) || squash(ref.text) !== squash(ours))
        problems.push(`${d.address.toString(16)}: ${hexBytes(d.bytes)}\n  objdump: ${ref ? `${ref.bytes} | ${ref.text}` : "(no row here)"}\n  pvopc:   ${ours}`);
    }
    expect(problems.slice(0, 20).join("\n"), `${problems.length} of ${decoded.length} differ`).toBe("");
    expect(decoded.length).toBe(reference.length);
  });

  it("meets every non-alias form of the table", () => {
    const seen = new Set(decoded.flatMap((d) => (d.result.ok ? [d.result.instruction.form.id] : [])));
    const missing = FORMS.filter((f) => !f.alias && !seen.has(f.id)).map((f) => `${f.row} (${f.opsize})`);
    expect(missing).toEqual([]);
  });

  it("encodes every decoded instruction back to its bytes", () => {
    const failures = roundTripFailures(decoded.map((d) => ({ bytes: d.bytes, address: d.address })));
    expect(failures.slice(0, 20).join("\n"), `${failures.length} of ${decoded.length} differ`).toBe("");
  });
});
