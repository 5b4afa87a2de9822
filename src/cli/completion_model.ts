/**
 * The command registry as the completion scripts see it: commands, their
 * options (long names, aliases, short letters, whether they take a value,
 * what the value completes to) and their arguments, with every name checked
 * to be safe to write into a script. The scripts of each shell are
 * generated from it (`completion_bash.ts`, `completion_zsh.ts`,
 * `completion_fish.ts`).
 *
 * @module
 */

import { longName, type OptionSpec } from "./args.ts";
import type { ArgSpec, Command } from "./command.ts";

/** What a value (of an option or a positional argument) completes to. */
export type ValueCompletion =
  | { kind: "choices"; words: readonly string[] }
  | { kind: "files" }
  | { kind: "none" };

/** One option as the scripts see it. */
export interface CompletionOption {
  /** Long names without dashes, the main one first, then the aliases. */
  longs: string[];
  /** The short letter, if any. */
  short: string | undefined;
  /** Takes a value (`--ttl 64`) rather than being a flag. */
  takesValue: boolean;
  /** May be given more than once. */
  repeatable: boolean;
  /** The value's placeholder: `N`. */
  valueName: string;
  /** One line of help. */
  help: string;
  /** What its value completes to. */
  value: ValueCompletion;
}

/** One positional argument as the scripts see it. */
export interface CompletionArg {
  /** Its name in help. */
  name: string;
  /** One line of help. */
  help: string;
  /** What it completes to. */
  value: ValueCompletion;
}

/** One command as the scripts see it. */
export interface CompletionCommand {
  /** The name typed after `tcpcraft`. */
  name: string;
  /** One line of help. */
  summary: string;
  /** Its options, `--help` first. */
  options: CompletionOption[];
  /** Its positional arguments. */
  args: CompletionArg[];
}

/** The help option every command has (added by `defineCommand`). */
export const HELP_OPTION: CompletionOption = {
  longs: ["help"],
  short: "h",
  takesValue: false,
  repeatable: false,
  valueName: "",
  help: "print this help",
  value: { kind: "none" },
};

/** What `runCli` answers before any command: see `runCommands` in `main.ts`. */
export const TOP_LEVEL_OPTIONS: readonly CompletionOption[] = [
  { ...HELP_OPTION, help: "print the help" },
  { ...HELP_OPTION, longs: ["version"], short: "V", help: "print the version" },
];

/** The `help COMMAND` pseudo-command of `runCommands`. */
const HELP_COMMAND_SUMMARY = "print the help of a command";

/** Names the scripts put in code unquoted: commands and option names. */
const SAFE_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** Choices the scripts put in word lists (split at white space). */
const SAFE_WORD = /^[\w.,:+@%/=-]+$/;

function fileLike(name: string): boolean {
  return /(^|_)(FILE|PATH)S?$/.test(name);
}

function valueCompletion(
  name: string,
  choices: readonly string[] | undefined,
  where: string,
): ValueCompletion {
  if (choices !== undefined) {
    for (const choice of choices) {
      if (!SAFE_WORD.test(choice)) {
        throw new Error(
          `Cannot generate completions: ${where} has the choice ${
            JSON.stringify(choice)
          }, which is not one shell word`,
        );
      }
    }
    return { kind: "choices", words: choices };
  }
  return fileLike(name) ? { kind: "files" } : { kind: "none" };
}

function optionModel(
  command: string,
  key: string,
  spec: OptionSpec,
): CompletionOption {
  const valueName = spec.valueName ?? "VALUE";
  return {
    longs: [longName(key, spec), ...(spec.aliases ?? [])],
    short: spec.short,
    takesValue: spec.kind !== "boolean",
    repeatable: spec.kind === "repeatable",
    valueName,
    help: spec.help,
    value: spec.kind === "boolean" ? { kind: "none" } : valueCompletion(
      valueName,
      spec.kind === "string" ? spec.choices : undefined,
      `${command} --${longName(key, spec)}`,
    ),
  };
}

function argModel(command: string, arg: ArgSpec): CompletionArg {
  return {
    name: arg.name,
    help: arg.help,
    value: valueCompletion(arg.name, arg.choices, `${command} ${arg.name}`),
  };
}

/**
 * The registry as the scripts see it, `help` included, names checked.
 *
 * @param commands The commands.
 * @returns The model, one entry per command and one for `help`.
 * @throws {Error} When a command name or a choice cannot be written safely
 *   into a script.
 *
 * @example
 * ```ts
 * import { completionModel } from "./completion_model.ts";
 * import { buildCommand } from "./commands/build.ts";
 * import assert from "node:assert/strict";
 *
 * const [build, help] = completionModel([buildCommand]);
 * assert.equal(build?.options[0]?.longs[0], "help");
 * assert.deepEqual(help?.args[0]?.value, { kind: "choices", words: ["build"] });
 * ```
 */
export function completionModel(
  commands: readonly Command[],
): CompletionCommand[] {
  const model = commands.map((command): CompletionCommand => {
    if (!SAFE_NAME.test(command.name) || command.name === "help") {
      throw new Error(
        `Cannot generate completions: bad command name ${
          JSON.stringify(command.name)
        }`,
      );
    }
    const options = Object.entries(command.options ?? {})
      .filter(([, spec]) => spec.hidden !== true)
      .map(([key, spec]) => optionModel(command.name, key, spec));
    return {
      name: command.name,
      summary: command.summary,
      options: [HELP_OPTION, ...options],
      args: (command.args ?? []).map((arg) => argModel(command.name, arg)),
    };
  });
  model.push({
    name: "help",
    summary: HELP_COMMAND_SUMMARY,
    options: [],
    args: [{
      name: "COMMAND",
      help: "the command",
      value: { kind: "choices", words: commands.map((c) => c.name) },
    }],
  });
  return model;
}

/**
 * The words an option is typed as: `--long`, its aliases, `-s`.
 *
 * @param option The option.
 * @returns The words.
 *
 * @example
 * ```ts
 * import { HELP_OPTION, optionWords } from "./completion_model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(optionWords(HELP_OPTION), ["--help", "-h"]);
 * ```
 */
export function optionWords(option: CompletionOption): string[] {
  return [
    ...option.longs.map((long) => `--${long}`),
    ...(option.short === undefined ? [] : [`-${option.short}`]),
  ];
}

/**
 * The help text on one line, without control characters.
 *
 * @param text The text.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { oneLine } from "./completion_model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(oneLine(" a\nb\t "), "a b");
 * ```
 */
export function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/**
 * Quote for POSIX shells (bash, zsh): `'it'\''s'`.
 *
 * @param text The text.
 * @returns The quoted text.
 *
 * @example
 * ```ts
 * import { shQuote } from "./completion_model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(shQuote("it's"), "'it'\\''s'");
 * ```
 */
export function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
