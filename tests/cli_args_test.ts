import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  defineOptions,
  didYouMean,
  editDistance,
  parseArgs,
  suggest,
} from "../src/cli/args.ts";
import { defineCommand, renderHelp } from "../src/cli/command.ts";
import { UsageError } from "../src/cli/errors.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import {
  formatDuration,
  parseDuration,
  parseInteger,
} from "../src/cli/numbers.ts";
import { parseAddressValue } from "../src/cli/target.ts";

const TABLE = defineOptions({
  dport: {
    kind: "number",
    short: "p",
    max: 65535,
    noun: "a port",
    valueName: "N",
    help: "destination port",
  },
  seq: { kind: "number", max: 0xffffffff, help: "sequence number" },
  offset: { kind: "number", min: -10, max: 10, help: "a signed value" },
  df: { kind: "boolean", help: "don't fragment" },
  four: { kind: "boolean", short: "4", help: "IPv4" },
  verbose: { kind: "boolean", short: "v", help: "more" },
  option: { kind: "repeatable", short: "o", help: "an option" },
  size: {
    kind: "repeatable",
    parse: (text: string) => parseInteger(text, { max: 9 }),
    help: "a size",
  },
  format: {
    kind: "string",
    choices: ["text", "hex", "json"],
    help: "output format",
  },
  src: { kind: "string", parse: parseAddressValue, help: "source" },
  dataHex: { kind: "string", aliases: ["payload-hex"], help: "payload" },
  data: { kind: "string", help: "payload text" },
});

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    return error.message;
  }
  assert.fail("expected a UsageError");
}

Deno.test("parseArgs() reads --opt value, --opt=value, -p value and -p80 alike", () => {
  for (
    const args of [
      ["--dport", "80"],
      ["--dport=80"],
      ["-p", "80"],
      ["-p80"],
      ["-p", "0x50"],
      ["--dport", "0b1010000"],
      ["--dport", "0o120"],
    ]
  ) {
    assert.equal(parseArgs(args, TABLE).values.dport, 80, args.join(" "));
  }
});

Deno.test("parseArgs() keeps positionals in order around options", () => {
  const parsed = parseArgs(["a", "--df", "b", "-p", "1", "c"], TABLE);
  assert.deepEqual(parsed.positionals, ["a", "b", "c"]);
  assert.equal(parsed.values.df, true);
  assert.equal(parsed.help, false);
});

Deno.test("parseArgs() treats everything after -- as positional, and - as a positional", () => {
  const parsed = parseArgs(["-", "--", "--df", "-p", "x"], TABLE);
  assert.deepEqual(parsed.positionals, ["-", "--df", "-p", "x"]);
  assert.equal(parsed.values.df, undefined);
});

Deno.test("parseArgs() reads a cluster of short booleans, ending in one that takes a value", () => {
  const parsed = parseArgs(["-4v", "-4vp", "443"], TABLE);
  assert.equal(parsed.values.four, true);
  assert.equal(parsed.values.verbose, true);
  assert.equal(parsed.values.dport, 443);
});

Deno.test("parseArgs() takes the next argument as the value even when it starts with -", () => {
  assert.equal(parseArgs(["--offset", "-5"], TABLE).values.offset, -5);
  assert.equal(parseArgs(["--offset=-5"], TABLE).values.offset, -5);
  assert.equal(parseArgs(["--data", "--df"], TABLE).values.data, "--df");
  assert.equal(parseArgs(["--data", "--df"], TABLE).values.df, undefined);
});

Deno.test("parseArgs() keeps repeatable values in order, parsed each", () => {
  const parsed = parseArgs(
    ["-o", "mss=1460", "--option=nop", "-oeol", "--size", "3", "--size", "0x9"],
    TABLE,
  );
  assert.deepEqual(parsed.values.option, ["mss=1460", "nop", "eol"]);
  assert.deepEqual(parsed.values.size, [3, 9]);
});

Deno.test("parseArgs() accepts aliases under the key of the option", () => {
  assert.equal(parseArgs(["--payload-hex", "00"], TABLE).values.dataHex, "00");
  assert.equal(parseArgs(["--data-hex", "01"], TABLE).values.dataHex, "01");
});

Deno.test("parseArgs() converts values with the option's parse function", () => {
  assert.deepEqual(parseArgs(["--src", "2001:DB8::1"], TABLE).values.src, {
    family: 6,
    address: "2001:db8::1",
  });
});

Deno.test("parseArgs() reports -h and --help anywhere before --", () => {
  assert.equal(parseArgs(["x", "--help"], TABLE).help, true);
  assert.equal(parseArgs(["-h"], TABLE).help, true);
  assert.equal(parseArgs(["-vh"], TABLE).help, true);
  assert.equal(parseArgs(["--", "--help"], TABLE).help, false);
});

Deno.test("parseArgs() names an unknown option, with a suggestion when one is close", () => {
  assert.equal(
    usageMessage(() => parseArgs(["--foo"], TABLE)),
    "unknown option --foo",
  );
  assert.equal(
    usageMessage(() => parseArgs(["--dprot", "80"], TABLE)),
    "unknown option --dprot (did you mean --dport?)",
  );
  assert.equal(
    usageMessage(() => parseArgs(["--data-he", "00"], TABLE)),
    "unknown option --data-he (did you mean --data-hex?)",
  );
  assert.equal(
    usageMessage(() => parseArgs(["-z"], TABLE)),
    "unknown option -z",
  );
  assert.equal(
    usageMessage(() => parseArgs(["-df"], TABLE)),
    "unknown option -d (did you mean --df?)",
  );
  assert.equal(
    usageMessage(() => parseArgs(["--\u001b[2J"], TABLE)),
    'unknown option "--\\x1b[2J"',
  );
});

Deno.test("parseArgs() names the flag of a bad, out-of-range or missing value", () => {
  const cases: [string[], string][] = [
    [["--dport", "70000"], '--dport: "70000" is not a port (0..65535)'],
    [["-p", "http"], '--dport: "http" is not a port (0..65535)'],
    [["--seq", "-1"], '--seq: "-1" is out of range (0..4294967295)'],
    [
      ["--seq", "4294967296"],
      '--seq: "4294967296" is out of range (0..4294967295)',
    ],
    [["--seq", "1.5"], '--seq: "1.5" is not an integer (0..4294967295)'],
    [["--seq", "1e3"], '--seq: "1e3" is not an integer (0..4294967295)'],
    [["--seq", ""], '--seq: "" is not an integer (0..4294967295)'],
    [["--seq", " 1"], '--seq: " 1" is not an integer (0..4294967295)'],
    [["--offset", "-11"], '--offset: "-11" is out of range (-10..10)'],
    [["--dport"], "--dport: missing value (N)"],
    [["-p"], "--dport: missing value (N)"],
    [["--df=yes"], "--df: takes no value"],
    [["--help=1"], "--help: takes no value"],
    [["--format", "xml"], '--format: "xml" is not one of text, hex, json'],
    [
      ["--format", "jsno"],
      '--format: "jsno" is not one of text, hex, json (did you mean json?)',
    ],
    [
      ["--src", "192.0.2"],
      '--src: cannot parse IPv4 address "192.0.2": expected four decimal numbers separated by dots',
    ],
    [["--size", "10"], '--size: "10" is out of range (0..9)'],
  ];
  for (const [args, message] of cases) {
    assert.equal(
      usageMessage(() => parseArgs(args, TABLE)),
      message,
      args.join(" "),
    );
  }
});

Deno.test("parseArgs() refuses a single-value option given twice", () => {
  assert.equal(
    usageMessage(() => parseArgs(["-p", "80", "--dport", "443"], TABLE)),
    '--dport: given twice ("80" and "443"); give it once',
  );
  assert.equal(parseArgs(["--df", "--df"], TABLE).values.df, true);
});

Deno.test("parseArgs() lets a bug in a parse function escape as itself, not as a usage error", () => {
  const table = defineOptions({
    x: {
      kind: "string",
      parse: (): never => {
        throw new TypeError("bug");
      },
      help: "",
    },
  });
  assert.throws(() => parseArgs(["--x", "1"], table), TypeError);
});

Deno.test("defineOptions() refuses tables whose names collide", () => {
  assert.throws(
    () =>
      defineOptions({
        a: { kind: "boolean", short: "x", help: "" },
        b: { kind: "boolean", short: "x", help: "" },
      }),
    /-x is taken/,
  );
  assert.throws(
    () =>
      defineOptions({
        dataHex: { kind: "boolean", help: "" },
        other: { kind: "boolean", long: "data-hex", help: "" },
      }),
    /--data-hex is taken/,
  );
  assert.throws(
    () => defineOptions({ a: { kind: "boolean", short: "h", help: "" } }),
    /bad short name/,
  );
  assert.throws(
    () => defineOptions({ help: { kind: "boolean", help: "" } }),
    /bad long name/,
  );
});

Deno.test("parseInteger() reads every base and agrees with the value for the whole range", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const options = { max: 0xffffffff };
      assert.equal(parseInteger(String(n), options), n);
      assert.equal(parseInteger(`0x${n.toString(16)}`, options), n);
      assert.equal(
        parseInteger(`0X${n.toString(16).toUpperCase()}`, options),
        n,
      );
      assert.equal(parseInteger(`0b${n.toString(2)}`, options), n);
      assert.equal(parseInteger(`0o${n.toString(8)}`, options), n);
    }),
  );
});

Deno.test("parseInteger() refuses values just outside the range, however large", () => {
  assert.throws(() => parseInteger("65536", { max: 65535 }), /out of range/);
  assert.throws(
    () => parseInteger("99999999999999999999999", { max: 65535 }),
    /out of range/,
  );
  assert.throws(() => parseInteger("0x10000", { max: 0xffff }), /out of range/);
  assert.equal(parseInteger("0065535", { max: 65535 }), 65535);
  assert.equal(parseInteger("-0", { max: 1 }), 0);
});

Deno.test("parseDuration() reads us, ms, s, m and h, and bare seconds", () => {
  assert.equal(parseDuration("500us"), 0.5);
  assert.equal(parseDuration("10ms"), 10);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("2"), 2000);
  for (const bad of ["", "s", "1.s", "-1s", "1 s", "1d", "1e3ms"]) {
    assert.throws(() => parseDuration(bad), /is not a duration/, bad);
  }
  assert.throws(() => parseDuration("2h", { maxMs: 3_600_000 }), {
    message: '"2h" is out of range (0s..1h)',
  });
  assert.throws(
    () => parseDuration("0", { minMs: 1 }),
    /out of range \(1ms\.\./,
  );
});

Deno.test("formatDuration() picks the unit that reads best", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(0.5), "500us");
  assert.equal(formatDuration(10), "10ms");
  assert.equal(formatDuration(1500), "1.5s");
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(7_200_000), "2h");
});

Deno.test("suggest() finds the close name and nothing for a far one", () => {
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("ab", "ba"), 1);
  assert.equal(suggest("dprot", ["dport", "sport"]), "dport");
  assert.equal(suggest("sorce", ["src", "source"]), "source");
  assert.equal(suggest("x", ["dport"]), undefined);
  assert.equal(didYouMean("bild", ["build"], ""), " (did you mean build?)");
});

const GREET = defineCommand({
  name: "greet",
  summary: "say hello",
  usage: "NAME [GREETING] [OPTIONS]",
  args: [
    { name: "NAME", help: "who to greet" },
    { name: "GREETING", help: "what to say", optional: true },
  ],
  options: defineOptions({
    loud: { kind: "boolean", short: "l", help: "shout", group: "Style" },
    times: {
      kind: "number",
      min: 1,
      max: 3,
      valueName: "N",
      help: "how many times",
      group: "Style",
    },
  }),
  examples: [{ comment: "Greet Ada", command: "tcpcraft greet Ada" }],
  run({ values, positionals }, { host }) {
    const line = `${positionals[1] ?? "hello"} ${positionals[0]}`;
    for (let i = 0; i < (values.times ?? 1); i++) {
      host.stdout(`${values.loud === true ? line.toUpperCase() : line}\n`);
    }
    return Promise.resolve(0);
  },
});

Deno.test("defineCommand() runs with typed values and checked positionals", async () => {
  const host = createMemoryHost();
  const code = await GREET.run(["Ada", "hi", "-l", "--times", "2"], {
    host,
    meta: { version: "0" },
  });
  assert.equal(code, 0);
  assert.equal(host.out, "HI ADA\nHI ADA\n");
});

Deno.test("defineCommand() refuses a missing or an extra positional, naming it", async () => {
  const context = { host: createMemoryHost(), meta: { version: "0" } };
  await assert.rejects(GREET.run([], context), {
    name: "UsageError",
    message: "missing NAME (who to greet)",
  });
  await assert.rejects(GREET.run(["a", "b", "c"], context), {
    name: "UsageError",
    message: 'unexpected argument "c"; only NAME GREETING is expected',
  });
});

Deno.test("defineCommand() prints help for -h even next to a mistake", async () => {
  const host = createMemoryHost();
  assert.equal(
    await GREET.run(["--bogus", "-h"], { host, meta: { version: "0" } }),
    0,
  );
  assert.equal(host.out, GREET.help());
  assert.equal(host.err, "");
});

Deno.test("renderHelp() has USAGE, ARGS, OPTIONS by group and EXAMPLES", () => {
  const text = GREET.help();
  assert.equal(
    text,
    [
      "tcpcraft greet: say hello",
      "",
      "USAGE:",
      "    tcpcraft greet NAME [GREETING] [OPTIONS]",
      "",
      "ARGS:",
      "    NAME        who to greet",
      "    GREETING    what to say",
      "",
      "OPTIONS:",
      "  General:",
      "      -h, --help     print this help",
      "  Style:",
      "      -l, --loud     shout",
      "          --times N  how many times",
      "",
      "EXAMPLES:",
      "    Greet Ada:",
      "      tcpcraft greet Ada",
      "",
    ].join("\n"),
  );
  assert.equal(
    renderHelp({
      name: "x",
      summary: "y",
      usage: "",
      args: [],
      examples: [],
      options: {},
      run: () => Promise.resolve(0),
    }),
    "tcpcraft x: y\n\nUSAGE:\n    tcpcraft x\n\nOPTIONS:\n    -h, --help  print this help\n",
  );
});
