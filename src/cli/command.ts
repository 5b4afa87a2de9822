/**
 * Commands: a declarative spec (name, arguments, option table, examples and
 * a `run` function) turned by {@linkcode defineCommand} into a
 * {@linkcode Command} that parses its arguments, answers `-h`/`--help`,
 * checks the positional arguments and calls `run` with typed values.
 *
 * Adding a command:
 * 1. write `src/cli/commands/<name>.ts` exporting
 *    `<name>Command = defineCommand({…})`, with its option table (spread
 *    `PACKET_OPTIONS` from `packet_options.ts` to take the packet options);
 *    its `run` parses the options, calls one engine (`src/engine/`) and
 *    writes what the engine reports through an output formatter
 *    (`output.ts`); it imports no other command (what two commands share
 *    lives in a module of `src/cli/`);
 * 2. add it to `COMMANDS` in `src/cli/main.ts`.
 *
 * @module
 */

import {
  didYouMean,
  longName,
  type OptionSpec,
  type OptionTable,
  type OptionValues,
  parseArgs,
} from "./args.ts";
import { quote, UsageError } from "./errors.ts";
import type { CliHost, CliMeta } from "./host.ts";

/** What a command receives besides its arguments. */
export interface CommandContext {
  /** The operating system. */
  host: CliHost;
  /** Version and other facts about the program. */
  meta: CliMeta;
}

/** A command in the registry of `runCli`. */
export interface Command {
  /** The name typed after `tcpcraft`. */
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /**
   * Run with the arguments after the command name. Returns the exit code;
   * throws `UsageError` or `CliError` to end with a message.
   */
  run(args: readonly string[], context: CommandContext): Promise<number>;
  /** The help text. */
  help(): string;
  /**
   * The option table, for shell completions (set by {@linkcode defineCommand};
   * a command without one completes only `--help`).
   */
  readonly options?: OptionTable;
  /** The positional arguments, for shell completions (set by {@linkcode defineCommand}). */
  readonly args?: readonly ArgSpec[];
}

/** A positional argument. */
export interface ArgSpec {
  /** Its name in help and messages: `TARGET`. */
  name: string;
  /** One line of help. */
  help: string;
  /**
   * Whether it must be given (default true); a variadic argument that must
   * be given takes at least one value.
   */
  optional?: boolean;
  /**
   * Whether it takes every remaining positional argument (only the last
   * argument may; the usage line shows it: `TARGETS...`).
   */
  variadic?: boolean;
  /** The only values accepted (checked before `run`, offered by completions). */
  choices?: readonly string[];
}

/** One example in help. */
export interface ExampleSpec {
  /** What it does. */
  comment: string;
  /** The command line. */
  command: string;
}

/** The values and arguments `run` receives. */
export interface CommandInput<T extends OptionTable> {
  /** The option values, typed by the table. */
  values: OptionValues<T>;
  /**
   * The positional arguments, checked against `args`: required ones are
   * present, and there are no more than `args` unless the last is variadic.
   */
  positionals: string[];
}

/** What {@linkcode defineCommand} takes. */
export interface CommandSpec<T extends OptionTable> {
  /** The name typed after `tcpcraft`. */
  name: string;
  /** One line, for the list of commands and the top of the help. */
  summary: string;
  /** Paragraphs after the summary in the help. */
  description?: string;
  /** The usage line without `tcpcraft <name>`: `TARGET [OPTIONS]`. */
  usage: string;
  /** The positional arguments, in order. */
  args: readonly ArgSpec[];
  /** The option table. */
  options: T;
  /** Examples for the help. */
  examples: readonly ExampleSpec[];
  /** Do the work. */
  run(input: CommandInput<T>, context: CommandContext): Promise<number>;
}

/**
 * Make a {@linkcode Command} from a spec: it parses its arguments with the
 * spec's table, prints the help to standard output for `-h`/`--help`
 * (anywhere before `--`, even next to a mistake), refuses missing and extra
 * positional arguments (a variadic last argument takes all the rest), and
 * runs.
 *
 * @param spec The command.
 * @returns The command, ready for the registry.
 *
 * @example
 * ```ts
 * import { defineCommand } from "./command.ts";
 * import { defineOptions } from "./args.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const greet = defineCommand({
 *   name: "greet",
 *   summary: "say hello",
 *   usage: "NAME [OPTIONS]",
 *   args: [{ name: "NAME", help: "who to greet" }],
 *   options: defineOptions({ loud: { kind: "boolean", help: "shout" } }),
 *   examples: [{ comment: "Greet Ada", command: "tcpcraft greet Ada" }],
 *   run({ values, positionals }, { host }) {
 *     const text = `hello ${positionals[0]}`;
 *     host.stdout(`${values.loud ? text.toUpperCase() : text}\n`);
 *     return Promise.resolve(0);
 *   },
 * });
 * const host = createMemoryHost();
 * assert.equal(await greet.run(["Ada", "--loud"], { host, meta: { version: "1" } }), 0);
 * assert.equal(host.out, "HELLO ADA\n");
 * await greet.run(["--help"], { host, meta: { version: "1" } });
 * assert.match(host.out, /USAGE:\n {4}tcpcraft greet NAME \[OPTIONS\]/);
 * ```
 *
 * @example A variadic last argument takes every remaining value
 * ```ts
 * import { defineCommand } from "./command.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const sum = defineCommand({
 *   name: "sum",
 *   summary: "add numbers",
 *   usage: "N... [OPTIONS]",
 *   args: [{ name: "N", help: "the numbers", variadic: true }],
 *   options: {},
 *   examples: [],
 *   run({ positionals }, { host }) {
 *     host.stdout(`${positionals.reduce((a, n) => a + Number(n), 0)}\n`);
 *     return Promise.resolve(0);
 *   },
 * });
 * const host = createMemoryHost();
 * assert.equal(await sum.run(["1", "2", "3"], { host, meta: { version: "1" } }), 0);
 * assert.equal(host.out, "6\n");
 * await assert.rejects(sum.run([], { host, meta: { version: "1" } }), /missing N \(the numbers\)/);
 * ```
 */
export function defineCommand<const T extends OptionTable>(
  spec: CommandSpec<T>,
): Command {
  if (spec.args.slice(0, -1).some((arg) => arg.variadic === true)) {
    throw new Error(
      `Cannot define command ${spec.name}: only the last argument can be variadic`,
    );
  }
  const variadic = spec.args.at(-1)?.variadic === true;
  const help = () => renderHelp(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    options: spec.options,
    args: spec.args,
    async run(args, context) {
      let parsed;
      try {
        parsed = parseArgs(args, spec.options);
      } catch (error) {
        if (error instanceof UsageError && asksForHelp(args)) {
          context.host.stdout(help());
          return 0;
        }
        throw error;
      }
      if (parsed.help) {
        context.host.stdout(help());
        return 0;
      }
      const { positionals } = parsed;
      const required = spec.args.filter((arg) => arg.optional !== true).length;
      if (positionals.length < required) {
        const missing = spec.args[positionals.length]!;
        throw new UsageError(`missing ${missing.name} (${missing.help})`);
      }
      if (!variadic && positionals.length > spec.args.length) {
        const extra = positionals[spec.args.length]!;
        throw new UsageError(
          extra.startsWith("-")
            ? `unexpected argument ${quote(extra)} (options go before --)`
            : `unexpected argument ${quote(extra)}${
              spec.args.length === 0
                ? ""
                : `; only ${
                  spec.args.map((arg) => arg.name).join(" ")
                } is expected`
            }`,
        );
      }
      positionals.forEach((value, i) => {
        // Past the last spec only when it is variadic: it takes the rest.
        const arg = spec.args[Math.min(i, spec.args.length - 1)]!;
        if (arg.choices !== undefined && !arg.choices.includes(value)) {
          throw new UsageError(
            `${arg.name}: ${quote(value)} is not one of ${
              arg.choices.join(", ")
            }${didYouMean(value, arg.choices, "")}`,
          );
        }
      });
      return await spec.run({ values: parsed.values, positionals }, context);
    },
  };
}

/** Help lines are wrapped to this many columns where they can be. */
const HELP_WIDTH = 100;

/** Split text into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > Math.max(width, 30)) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  const options = end < 0 ? args : args.slice(0, end);
  return options.includes("--help") || options.includes("-h");
}

/**
 * The display form of an option for help: `-p, --dport N` or
 * `    --src ADDR`.
 *
 * @param key The key in the table.
 * @param spec The option.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { optionSignature } from "./command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   optionSignature("dport", { kind: "number", short: "p", valueName: "N", help: "" }),
 *   "-p, --dport N",
 * );
 * assert.equal(optionSignature("df", { kind: "boolean", help: "" }), "    --df");
 * ```
 */
export function optionSignature(key: string, spec: OptionSpec): string {
  const head = spec.short === undefined ? "    " : `-${spec.short}, `;
  const value = spec.kind === "boolean" ? "" : ` ${spec.valueName ?? "VALUE"}`;
  return `${head}--${longName(key, spec)}${value}`;
}

/**
 * The help text of a command: summary, description, USAGE, ARGS, OPTIONS
 * (grouped, aligned, with aliases) and EXAMPLES, ending with a newline.
 *
 * @param spec The command.
 * @returns The help text.
 *
 * @example
 * ```ts
 * import { renderHelp } from "./command.ts";
 * import assert from "node:assert/strict";
 *
 * const text = renderHelp({
 *   name: "x", summary: "do x", usage: "[OPTIONS]", args: [], examples: [],
 *   options: { n: { kind: "number", valueName: "N", help: "how many" } },
 *   run: () => Promise.resolve(0),
 * });
 * assert.match(text, /OPTIONS:\n {4}-h, --help +print this help\n {8}--n N +how many\n/);
 * ```
 */
export function renderHelp<T extends OptionTable>(
  spec: CommandSpec<T>,
): string {
  const lines: string[] = [`tcpcraft ${spec.name}: ${spec.summary}`, ""];
  if (spec.description !== undefined) {
    lines.push(spec.description.trimEnd(), "");
  }
  lines.push("USAGE:", `    tcpcraft ${spec.name} ${spec.usage}`.trimEnd(), "");
  if (spec.args.length > 0) {
    const width = Math.max(...spec.args.map((arg) => arg.name.length));
    lines.push("ARGS:");
    for (const arg of spec.args) {
      lines.push(`    ${arg.name.padEnd(width)}    ${arg.help}`);
    }
    lines.push("");
  }
  const entries = Object.entries(spec.options).filter(([, s]) => !s.hidden);
  const rows: { group: string; signature: string; help: string }[] = entries
    .map(([key, option]) => ({
      group: option.group ?? "",
      signature: optionSignature(key, option),
      help: option.aliases === undefined || option.aliases.length === 0
        ? option.help
        : `${option.help} (also ${
          option.aliases.map((alias) => `--${alias}`).join(", ")
        })`,
    }));
  rows.unshift({ group: "", signature: "-h, --help", help: "print this help" });
  const grouped = rows.some((row) => row.group !== "");
  if (grouped) {
    for (const row of rows) if (row.group === "") row.group = "General";
  }
  const width = Math.max(...rows.map((row) => row.signature.length));
  const groups = [...new Set(rows.map((row) => row.group))];
  const indent = grouped ? "      " : "    ";
  lines.push("OPTIONS:");
  for (const group of groups) {
    if (grouped) lines.push(`  ${group}:`);
    for (const row of rows.filter((r) => r.group === group)) {
      const wrapped = wrap(row.help, HELP_WIDTH - indent.length - width - 2);
      lines.push(`${indent}${row.signature.padEnd(width)}  ${wrapped[0]}`);
      for (const more of wrapped.slice(1)) {
        lines.push(`${" ".repeat(indent.length + width + 2)}${more}`);
      }
    }
  }
  lines.push("");
  if (spec.examples.length > 0) {
    lines.push("EXAMPLES:");
    for (const example of spec.examples) {
      lines.push(`    ${example.comment}:`, `      ${example.command}`, "");
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
