/**
 * The front end's diagnostic codes, PV2001-PV2699. Each mistake has its own stable code;
 * docs/language.md explains every one with an example, and test/golden/diagnostics holds an
 * input for each (a test checks both). Assembler errors inside bodies keep the assembler's
 * PV1xxx codes.
 */
export const CODES = {
  // Syntax (parse.ts)
  syntax: "PV2001",
  missingCloser: "PV2002",
  missingSeparator: "PV2003",
  unexpectedCharacter: "PV2004",
  unterminatedComment: "PV2005",
  unterminatedBody: "PV2006",
  unterminatedString: "PV2007",
  nestingTooDeep: "PV2008",
  tooManyErrors: "PV2009",

  // Names
  duplicateGroup: "PV2101",
  duplicateOp: "PV2102",
  duplicateConvention: "PV2103",
  duplicateBackend: "PV2104",
  duplicateFunction: "PV2105",
  duplicateScenario: "PV2106",
  duplicateData: "PV2107",
  duplicateConstant: "PV2108",
  duplicateParameter: "PV2109",
  duplicateBinding: "PV2110",
  unknownGroup: "PV2111",
  unknownOp: "PV2112",
  unknownConvention: "PV2113",
  unknownBackend: "PV2114",
  unknownRegister: "PV2115",
  unknownSymbol: "PV2116",
  unknownName: "PV2117",
  unknownTarget: "PV2118",
  importFailed: "PV2119",
  importCycle: "PV2120",
  duplicateClause: "PV2121",

  // Signatures and conventions
  unknownType: "PV2201",
  tooManyArguments: "PV2202",
  identityWithoutValue: "PV2203",
  nopReturnsValue: "PV2204",
  missingNativeForm: "PV2205",
  conflictingNativeForms: "PV2206",
  builtinRestated: "PV2207",
  incompleteConvention: "PV2208",
  returnNotClobbered: "PV2209",
  invalidArgumentRegister: "PV2210",

  // Clobbers
  notClobberable: "PV2301",
  clobberViolation: "PV2302",
  unbalancedStack: "PV2303",

  // Bodies
  bodyNeverInlined: "PV2401",
  bodyEndsInRet: "PV2402",
  branchLeavesBody: "PV2403",
  emptyBody: "PV2404",
  bodyNotCode: "PV2405",

  // Scenarios
  pvcallUnknownOp: "PV2501",
  roomTooSmall: "PV2502",
  siteClobbersWider: "PV2503",
  unknownFlag: "PV2504",
  invalidLocation: "PV2505",
  duplicateInit: "PV2506",
  scenarioWithoutCode: "PV2507",
  roomTooLarge: "PV2508",

  // Constant expressions
  divisionByZero: "PV2601",
  valueOutOfRange: "PV2602",
  notConstant: "PV2603",
} as const;

export type CodeName = keyof typeof CODES;
