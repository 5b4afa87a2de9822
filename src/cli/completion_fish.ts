/**
 * The fish completion script, generated from the registry's model
 * (`completion_model.ts`).
 *
 * @module
 */

import {
  type CompletionCommand,
  oneLine,
  optionWords,
  TOP_LEVEL_OPTIONS,
  type ValueCompletion,
} from "./completion_model.ts";

/** Quote for fish, where `\` and `'` are escaped inside single quotes. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function fishValueFlags(value: ValueCompletion): string {
  switch (value.kind) {
    case "choices":
      return ` -x -a ${fishQuote(value.words.join(" "))}`;
    case "files":
      return " -r -F";
    case "none":
      return " -x";
  }
}

/** The script's comment and the functions its conditions call. */
const FISH_HEADER =
  `# fish completion for tcpcraft, generated from its commands by
# \`tcpcraft completions fish\`: regenerate it after upgrading tcpcraft.
#
# Install:  tcpcraft completions fish > ~/.config/fish/completions/tcpcraft.fish

# True while no command has been typed yet.
function __fish_tcpcraft_needs_command
    for token in (commandline -opc)[2..-1]
        string match -q -- '-*' $token; or return 1
    end
    return 0
end

# True when the command typed is $argv[1].
function __fish_tcpcraft_command
    for token in (commandline -opc)[2..-1]
        string match -q -- '-*' $token; and continue
        test "$token" = "$argv[1]"
        return
    end
    return 1
end

# True when the command is $argv[1] and the word being completed is its
# argument number $argv[2] (from 0); $argv[3..] are the options that take a
# value, so that value is not counted as an argument.
function __fish_tcpcraft_arg
    set -l command $argv[1]
    set -l want $argv[2]
    set -l valued $argv[3..-1]
    set -l seen 0
    set -l skip 0
    set -l ended 0
    set -l count 0
    for token in (commandline -opc)[2..-1]
        if test $seen = 0
            string match -q -- '-*' $token; and continue
            test "$token" = "$command"; or return 1
            set seen 1
            continue
        end
        if test $skip = 1
            set skip 0
            continue
        end
        if test $ended = 0
            if test "$token" = --
                set ended 1
                continue
            end
            if contains -- $token $valued
                set skip 1
                continue
            end
            string match -q -- '-*' $token; and continue
        end
        set count (math $count + 1)
    end
    test $seen = 1; and test $skip = 0; and test $count = $want
end

`;

/** A `complete` line per top-level option, command, option and argument. */
function fishLines(model: readonly CompletionCommand[]): string[] {
  const lines: string[] = [];
  const c = "complete -c tcpcraft";
  for (const option of TOP_LEVEL_OPTIONS) {
    lines.push(
      `${c} -n __fish_tcpcraft_needs_command -s ${option.short} -l ${
        option.longs[0]
      } -d ${fishQuote(option.help)}`,
    );
  }
  for (const command of model) {
    lines.push(
      `${c} -n __fish_tcpcraft_needs_command -a ${command.name} -d ${
        fishQuote(oneLine(command.summary))
      }`,
    );
  }
  for (const command of model) {
    const valued = command.options.filter((o) => o.takesValue)
      .flatMap(optionWords);
    const condition = `__fish_tcpcraft_command ${command.name}`;
    for (const option of command.options) {
      const names = [
        ...(option.short === undefined ? [] : [`-s ${option.short}`]),
        ...option.longs.map((long) => `-l ${long}`),
      ].join(" ");
      lines.push(
        `${c} -n ${fishQuote(condition)} ${names}${
          option.takesValue ? fishValueFlags(option.value) : ""
        } -d ${fishQuote(oneLine(option.help))}`,
      );
    }
    command.args.forEach((arg, i) => {
      if (arg.value.kind === "none") return;
      const where = fishQuote(
        [`__fish_tcpcraft_arg ${command.name} ${i}`, ...valued].join(" "),
      );
      lines.push(
        arg.value.kind === "files"
          ? `${c} -n ${where} -F`
          : `${c} -n ${where} -a ${fishQuote(arg.value.words.join(" "))} -d ${
            fishQuote(oneLine(arg.help))
          }`,
      );
    });
  }
  return lines;
}

/**
 * The fish completion script of a registry's model.
 *
 * @param model The model (`completionModel`).
 * @returns The script, ending with a newline.
 *
 * @example
 * ```ts
 * import { fishScript } from "./completion_fish.ts";
 * import { completionModel } from "./completion_model.ts";
 * import { buildCommand } from "./commands/build.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(fishScript(completionModel([buildCommand])), /build/);
 * ```
 */
export function fishScript(model: readonly CompletionCommand[]): string {
  const lines = fishLines(model);
  return `${FISH_HEADER}complete -c tcpcraft -f
${lines.join("\n")}
`;
}
