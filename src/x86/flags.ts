/**
 * The RFLAGS bits, as the architecture defines them. The effects analysis, the emulator, the
 * language's `rflags.IF` locations and the CLI's reports all name flags through this table.
 */
export const FLAGS = {
  CF: 1 << 0,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  IOPL: 3 << 12,
  NT: 1 << 14,
  RF: 1 << 16,
  AC: 1 << 18,
  ID: 1 << 21,
} as const;

export type FlagName = keyof typeof FLAGS;

/** The six status flags arithmetic sets: what every convention lets a callee clobber. */
export const ARITHMETIC_FLAGS = FLAGS.CF | FLAGS.PF | FLAGS.AF | FLAGS.ZF | FLAGS.SF | FLAGS.OF;

/** The one-bit flags a report shows, in bit order. */
export const SINGLE_BIT_FLAGS: readonly FlagName[] = (Object.keys(FLAGS) as FlagName[]).filter((n) => (FLAGS[n] & (FLAGS[n] - 1)) === 0);

/** `CF ZF IF`: the names of the one-bit flags set in an rflags value. */
export function flagNames(rflags: number | bigint): string {
  const f = Number(BigInt.asUintN(32, BigInt(rflags)));
  return SINGLE_BIT_FLAGS.filter((n) => (f & FLAGS[n]) !== 0).join(" ");
}
