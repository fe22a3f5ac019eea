// Disassembler benchmark: pvopc's decoder and printer against `objdump -d` on the same ~200k
// instructions: the test corpus of every table form in every operand shape
// (test/x86/disasm-gen.mjs), assembled by GNU as and repeated. In-process and through the CLI;
// imports the compiled library from dist/.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decode } from "../dist/x86/decode.js";
import { formatListing } from "../dist/x86/print.js";
import { FORMS } from "../dist/x86/table.js";
import { corpusSource } from "../test/x86/disasm-gen.mjs";
import { best } from "./timing.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const INSTRUCTIONS = 200_000;

/** The corpus's code as assembled by GNU as (without the lines as rejects) and its instruction count. */
function corpusCode(dir) {
  const source = corpusSource(FORMS)
    .split("\n")
    .filter((line) => !/%[abcd]h\b|^data16 cs/.test(line))
    .join("\n");
  writeFileSync(join(dir, "corpus.s"), source);
  execFileSync("as", ["--64", "-o", join(dir, "corpus.o"), join(dir, "corpus.s")], { stdio: "ignore" });
  execFileSync("objcopy", ["-O", "binary", "--only-section", ".text", join(dir, "corpus.o"), join(dir, "corpus.bin")]);
  const code = readFileSync(join(dir, "corpus.bin"));
  let count = 0;
  for (let offset = 0; offset < code.length; count++) offset += decode(code, offset, 0n).length;
  return { code, count };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "pvopc-bench-"));
  try {
    const corpus = corpusCode(dir);
    const copies = Math.ceil(INSTRUCTIONS / corpus.count);
    const bytes = new Uint8Array(corpus.code.length * copies);
    for (let i = 0; i < copies; i++) bytes.set(corpus.code, i * corpus.code.length);
    const n = corpus.count * copies;
    const file = join(dir, "code.bin");
    writeFileSync(file, bytes);
    const quiet = { stdio: ["ignore", "ignore", "inherit"], maxBuffer: 1 << 30 };

    const decodeMs = best(5, () => {
      for (let offset = 0; offset < bytes.length; ) offset += decode(bytes, offset, BigInt(offset)).length;
    });
    const listingMs = best(5, () => formatListing([{ base: 0n, bytes }]));
    // The machine may be busy: best of several runs for the processes too.
    const objdumpMs = best(5, () => spawnSync("objdump", ["-D", "-b", "binary", "-m", "i386:x86-64", file], quiet));
    const cli = join(here, "../bin/pvopc");
    const cliMs = best(5, () => spawnSync(process.execPath, [cli, "disasm", file], quiet));
    const startMs = best(5, () => spawnSync(process.execPath, [cli, "disasm", "--hex", "90"], quiet));
    const peer = "objdump -d (binutils)";
    return [
      { name: `decode only, ${n} instructions (${bytes.length} bytes)`, value: (n / decodeMs) * 1000, unit: "instructions/s", note: "what the emulator's decode cache calls" },
      { name: "decode + print listing, in-process", value: listingMs, unit: "ms", peer, ratio: listingMs / objdumpMs },
      { name: "pvopc disasm FILE (CLI, incl. Node start-up)", value: cliMs, unit: "ms", peer, ratio: cliMs / objdumpMs, note: "a fresh process: the listing runs while V8 is still compiling it" },
      { name: "pvopc disasm --hex 90 (CLI start-up alone)", value: startMs, unit: "ms" },
      { name: "objdump -D -b binary, same bytes", value: objdumpMs, unit: "ms" },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await run());
