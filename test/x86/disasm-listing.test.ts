/**
 * Listings: labels and symbol names (UTF-8 included), the chunks writeListing hands out, and
 * addresses and immediates on both sides of 2^53, where the printer leaves number arithmetic
 * for BigInt; the last against objdump.
 */
import { describe, expect, it } from "vitest";
import { formatInstruction, formatListing, listingLine, writeListing, type Symbolizer } from "../../src/x86/print.js";
import { decodeAll } from "../../src/x86/decode.js";
import { objdumpRaw } from "../support/toolchain.js";
import { squash } from "./disasm-support.js";

const hex = (text: string) => Uint8Array.from(text.match(/[0-9a-f]{2}/g)!, (b) => parseInt(b, 16));

describe("formatListing", () => {
  it("prints every label of an address before its instruction, not labels inside one", () => {
    // push %rbp; mov %rsp,%rbp; call (to 0x1009); ret
    const bytes = hex("55 48 89 e5 e8 00 00 00 00 c3");
    const labels = [
      { address: 0x1000n, name: "f" },
      { address: 0x1000n, name: "fünf" },
      { address: 0x1002n, name: "inside_mov" },
      { address: 0x1009n, name: "tail" },
    ];
    const symbolize: Symbolizer = (address) => (address >= 0x1009n ? { name: "tail", offset: address - 0x1009n } : undefined);
    expect(formatListing([{ base: 0x1000n, bytes, labels }], { symbolize })).toBe(
      [
        "1000 <f>:",
        "1000 <fünf>:",
        "1000:\t55\tpush   %rbp",
        "1001:\t48 89 e5\tmov    %rsp,%rbp",
        "1004:\te8 00 00 00 00\tcall   1009 <tail>",
        "1009 <tail>:",
        "1009:\tc3\tret",
        "",
      ].join("\n"),
    );
  });

  it("names symbols with an offset in branch targets and rip-relative comments", () => {
    // jmp .+0x12; lea 0x10(%rip),%rax
    const bytes = hex("eb 10 48 8d 05 10 00 00 00");
    const symbolize: Symbolizer = (address) => ({ name: "größe", offset: address - 0x2000n });
    expect(formatListing([{ base: 0x2000n, bytes }], { symbolize })).toBe(
      "2000:\teb 10\tjmp    2012 <größe+0x12>\n2002:\t48 8d 05 10 00 00 00\tlea    0x10(%rip),%rax        # 2019 <größe+0x19>\n",
    );
  });

  it("lists regions one after the other and undecodable bytes one at a time", () => {
    const listing = formatListing([
      { base: 0n, bytes: hex("0f 0b") },
      { base: 0x10n, bytes: hex("0f") },
    ]);
    expect(listing).toBe("0:\t0f 0b\tud2\n10:\t0f\t(bad)\n");
  });

  it("listingLine formats one line the same way", () => {
    expect(listingLine(0xffffffff81000000n, hex("90"), "nop")).toBe("ffffffff81000000:\t90\tnop");
  });
});

describe("writeListing", () => {
  it("hands out formatListing's text in chunks it does not touch again", () => {
    // About 4 MB of text: several chunks.
    const bytes = new Uint8Array(200_000);
    for (let i = 0; i < bytes.length; i += 10) bytes.set(hex("48 8b 84 c8 78 56 34 12 90 c3"), i);
    const regions = [{ base: 0xfffffffffff00000n, bytes, labels: [{ address: 0xfffffffffff00000n, name: "ünïcode" }] }];
    const chunks: Uint8Array[] = [];
    writeListing(regions, (chunk) => chunks.push(chunk));
    expect(chunks.length).toBeGreaterThan(2);
    const firstCopy = Buffer.from(chunks[0]!);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(formatListing(regions));
    expect(Buffer.from(chunks[0]!).equals(firstCopy)).toBe(true);
  });
});

describe("numbers on both sides of 2^53, against objdump", () => {
  // movabs $imm64 at the boundaries, mov $imm32 sign-extended, a rip-relative load and a branch.
  const immediates = [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n), -(2n ** 53n) - 1n, -(2n ** 63n), 2n ** 63n - 1n, -1n, 0n];
  const le64 = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));
  const code = Uint8Array.from([
    ...immediates.flatMap((v) => [0x48, 0xb8, ...le64(v)]),
    ...hex("48 c7 c0 00 00 00 80 48 8b 05 f0 ff ff ff e9 00 00 00 80 e8 ff ff ff 7f"),
  ]);

  // Branch targets and the rip-relative comment land on both sides of 2^53 and wrap past 2^64.
  for (const base of [0n, 2n ** 53n - 0x40n, 0xffffffff81000000n, 0xffffffffffffff00n]) {
    it(`at base 0x${base.toString(16)}`, () => {
      const texts = decodeAll(code, base).map((d) => (d.result.ok ? formatInstruction(d.result.instruction, d.address, d.result.length) : "(bad)"));
      expect(texts.map(squash)).toEqual(objdumpRaw(code, base).map((r) => squash(r.text)));
      const lines = formatListing([{ base, bytes: code }]).split("\n");
      expect(lines.slice(0, texts.length).map((l) => l.split("\t")[2])).toEqual(texts);
    });
  }
});
