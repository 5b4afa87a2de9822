/**
 * `tcpcraft completions bash|zsh|fish`: shell completion scripts generated
 * from the command registry, so a new command, option, alias or `choices`
 * list is completed as soon as it is registered, with nothing to update
 * here.
 *
 * What the scripts complete, in every shell: the commands (and `help
 * COMMAND`), the top-level `--help`/`--version`, each command's long and
 * short options and aliases (hidden options left out), the values of options
 * that have `choices`, file names for options and arguments whose value is
 * named `FILE` or `PATH`, and positional arguments that have `choices`.
 * Options that take a value are known to the scripts, so the word after
 * `--ttl` is not mistaken for an argument, and nothing is offered after `--`
 * but arguments.
 *
 * @module
 */

import { defineOptions, longName, type OptionSpec } from "./args.ts";
import { type ArgSpec, type Command, defineCommand } from "./command.ts";

/** The shells `completions` writes scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@linkcode SHELLS}. */
export type Shell = typeof SHELLS[number];

/** What a value (of an option or a positional argument) completes to. */
type ValueCompletion =
  | { kind: "choices"; words: readonly string[] }
  | { kind: "files" }
  | { kind: "none" };

/** One option as the scripts see it. */
interface CompletionOption {
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
interface CompletionArg {
  name: string;
  help: string;
  value: ValueCompletion;
}

/** One command as the scripts see it. */
interface CompletionCommand {
  name: string;
  summary: string;
  options: CompletionOption[];
  args: CompletionArg[];
}

/** The help option every command has (added by `defineCommand`). */
const HELP_OPTION: CompletionOption = {
  longs: ["help"],
  short: "h",
  takesValue: false,
  repeatable: false,
  valueName: "",
  help: "print this help",
  value: { kind: "none" },
};

/** What `runCli` answers before any command: see `runCommands` in `main.ts`. */
const TOP_LEVEL_OPTIONS: readonly CompletionOption[] = [
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

/** The registry as the scripts see it, `help` included, names checked. */
function completionModel(commands: readonly Command[]): CompletionCommand[] {
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

function optionWords(option: CompletionOption): string[] {
  return [
    ...option.longs.map((long) => `--${long}`),
    ...(option.short === undefined ? [] : [`-${option.short}`]),
  ];
}

/** The help text on one line, without control characters. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/** Quote for POSIX shells (bash, zsh): `'it'\''s'`. */
function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Quote for fish, where `\` and `'` are escaped inside single quotes. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

// ---------------------------------------------------------------- bash

function bashValueAction(value: ValueCompletion): string {
  switch (value.kind) {
    case "choices":
      return `_tcpcraft_words ${shQuote(value.words.join(" "))}`;
    case "files":
      return "_tcpcraft_files";
    case "none":
      return ":";
  }
}

function bashScript(model: readonly CompletionCommand[]): string {
  const top = [
    ...model.map((command) => command.name),
    ...TOP_LEVEL_OPTIONS.flatMap(optionWords),
  ];
  const perCommand: string[] = [];
  const values: string[] = [];
  const positionals: string[] = [];
  for (const command of model) {
    const all = command.options.flatMap(optionWords);
    const valued = command.options.filter((o) => o.takesValue);
    const shorts = valued.flatMap((o) => o.short === undefined ? [] : o.short);
    perCommand.push(
      `    ${command.name})`,
      `      options=${shQuote(all.join(" "))}`,
      `      valued=${shQuote(` ${valued.flatMap(optionWords).join(" ")} `)}`,
      `      shorts=${shQuote(shorts.join(""))}`,
      "      ;;",
    );
    for (const option of valued) {
      if (option.value.kind === "none") continue;
      const patterns = optionWords(option).map((w) => `"${command.name} ${w}"`);
      values.push(
        `    ${patterns.join(" | ")}) ${bashValueAction(option.value)} ;;`,
      );
    }
    command.args.forEach((arg, i) => {
      if (arg.value.kind === "none") return;
      positionals.push(
        `    "${command.name} ${i}") ${bashValueAction(arg.value)} ;;`,
      );
    });
  }
  return `# bash completion for tcpcraft, generated from its commands by
# \`tcpcraft completions bash\`: regenerate it after upgrading tcpcraft.
#
# Install:  tcpcraft completions bash > ~/.local/share/bash-completion/completions/tcpcraft
# or add to ~/.bashrc:  source <(tcpcraft completions bash)

_tcpcraft_words() {
  local IFS=$' \\t\\n' word
  for word in $(compgen -W "$1" -- "$cur"); do COMPREPLY+=("$word"); done
}

_tcpcraft_files() {
  local IFS=$'\\n' word
  compopt -o filenames 2>/dev/null
  for word in $(compgen -f -- "$cur"); do COMPREPLY+=("$word"); done
}

_tcpcraft() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" word pending="" options="" valued="" shorts=""
  local -i i=1 j=0 argc=0 ended=0
  COMPREPLY=()
  # The command is the first word that is not an option (the options before
  # it take no value).
  for ((; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ $word != -* ]]; then cmd="$word"; break; fi
  done
  if [[ -z $cmd ]]; then
    _tcpcraft_words ${shQuote(top.join(" "))}
    return 0
  fi
  case "$cmd" in
${perCommand.join("\n")}
    *) return 0 ;;
  esac
  # Walk the words after the command: count the arguments and note an
  # option still waiting for its value. Bash splits --name=value at '='.
  for ((i++; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -n $pending ]]; then
      [[ $word == "=" ]] || pending=""
      continue
    fi
    if ((ended)); then argc+=1; continue; fi
    case "$word" in
      --) ended=1 ;;
      --*=*) ;;
      --*) [[ $valued == *" $word "* ]] && pending="$word" ;;
      -?*)
        # A cluster of short options: a letter that takes a value takes
        # the rest of the word, or the next word when it is last.
        for ((j = 1; j < \${#word}; j++)); do
          if [[ $shorts == *"\${word:j:1}"* ]]; then
            ((j == \${#word} - 1)) && pending="-\${word:j:1}"
            break
          fi
        done
        ;;
      *) argc+=1 ;;
    esac
  done
  if [[ -n $pending ]]; then
    [[ $cur == "=" ]] && cur=""
    case "$cmd $pending" in
${values.join("\n")}
    esac
    return 0
  fi
  if ((!ended)) && [[ $cur == -* ]]; then
    _tcpcraft_words "$options"
    return 0
  fi
  case "$cmd $argc" in
${positionals.join("\n")}
  esac
  return 0
}

complete -F _tcpcraft tcpcraft
`;
}

// ---------------------------------------------------------------- zsh

/** Text inside `[…]` of an `_arguments` spec. */
function zshDescription(text: string): string {
  return oneLine(text).replace(/[\\[\]]/g, (c) => `\\${c}`);
}

/** The `:message:action` part of a spec. */
function zshValue(message: string, value: ValueCompletion): string {
  const name = message.replace(/[\\:]/g, (c) => `\\${c}`);
  switch (value.kind) {
    case "choices":
      return `:${name}:(${
        value.words.map((w) => w.replace(/[\\:() ]/g, (c) => `\\${c}`))
          .join(" ")
      })`;
    case "files":
      return `:${name}:_files`;
    case "none":
      return `:${name}: `;
  }
}

function zshOptionSpecs(option: CompletionOption): string[] {
  const words = optionWords(option);
  const exclusion = option.repeatable ? "*" : `(${words.join(" ")})`;
  const description = `[${zshDescription(option.help)}]`;
  const value = option.takesValue
    ? zshValue(option.valueName, option.value)
    : "";
  return [
    ...option.longs.map((long) =>
      `${exclusion}--${long}${
        option.takesValue ? "=" : ""
      }${description}${value}`
    ),
    ...(option.short === undefined ? [] : [
      `${exclusion}-${option.short}${
        option.takesValue ? "+" : ""
      }${description}${value}`,
    ]),
  ];
}

function zshScript(model: readonly CompletionCommand[]): string {
  const commandList = model.map((command) =>
    `        ${shQuote(`${command.name}:${oneLine(command.summary)}`)}`
  );
  const cases = model.map((command) => {
    const specs = [
      ...command.options.flatMap((option) =>
        option === HELP_OPTION
          ? [
            `(- *)--help[${zshDescription(option.help)}]`,
            `(- *)-h[${zshDescription(option.help)}]`,
          ]
          : zshOptionSpecs(option)
      ),
      ...command.args.map((arg, i) =>
        `${i + 1}${zshValue(arg.name, arg.value)}`
      ),
    ];
    return [
      `        ${command.name})`,
      `          _arguments -s -S \\`,
      ...specs.map((spec) => `            ${shQuote(spec)} \\`),
      "            && ret=0",
      "          ;;",
    ].join("\n");
  });
  const topSpecs = TOP_LEVEL_OPTIONS.flatMap((option) =>
    optionWords(option).map((word) =>
      `(- *)${word}[${zshDescription(option.help)}]`
    )
  );
  return `#compdef tcpcraft
# zsh completion for tcpcraft, generated from its commands by
# \`tcpcraft completions zsh\`: regenerate it after upgrading tcpcraft.
#
# Install:  tcpcraft completions zsh > ~/.zfunc/_tcpcraft
#           and in ~/.zshrc, before compinit:  fpath=(~/.zfunc $fpath)
# or, after compinit in ~/.zshrc:  source <(tcpcraft completions zsh)

_tcpcraft() {
  local curcontext="$curcontext" state state_descr line
  local -i ret=1
  typeset -A opt_args
  _arguments -C \\
${topSpecs.map((spec) => `    ${shQuote(spec)} \\`).join("\n")}
    '1:command:->command' \\
    '*:: :->argument' \\
    && ret=0
  case $state in
    command)
      local -a commands
      commands=(
${commandList.join("\n")}
      )
      _describe -t commands 'tcpcraft command' commands && ret=0
      ;;
    argument)
      curcontext="\${curcontext%:*:*}:tcpcraft-$words[1]:"
      case $words[1] in
${cases.join("\n")}
      esac
      ;;
  esac
  return ret
}

if [[ $funcstack[1] == _tcpcraft ]]; then
  _tcpcraft "$@"
else
  compdef _tcpcraft tcpcraft
fi
`;
}

// ---------------------------------------------------------------- fish

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

function fishScript(model: readonly CompletionCommand[]): string {
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
  return `# fish completion for tcpcraft, generated from its commands by
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

complete -c tcpcraft -f
${lines.join("\n")}
`;
}

/**
 * The completion script for a shell, generated from a command registry:
 * each command's option table and arguments (commands not made by
 * `defineCommand` complete only `--help`).
 *
 * @param shell `"bash"`, `"zsh"` or `"fish"`.
 * @param commands The registry (`COMMANDS` in `main.ts`).
 * @returns The script, ending with a newline.
 * @throws {Error} When a command name or a choice cannot be written safely
 *   into a script (a programming mistake in a command's definition).
 *
 * @example
 * ```ts
 * import { completionScript } from "./completions.ts";
 * import { buildCommand } from "./commands/build.ts";
 * import assert from "node:assert/strict";
 *
 * const bash = completionScript("bash", [buildCommand]);
 * assert.match(bash, /^complete -F _tcpcraft tcpcraft$/m);
 * assert.match(bash, /"build --format"\) _tcpcraft_words 'text hex json'/);
 *
 * const fish = completionScript("fish", [buildCommand]);
 * assert.match(fish, /-l dport -x -d 'destination port/);
 * ```
 */
export function completionScript(
  shell: Shell,
  commands: readonly Command[],
): string {
  const model = completionModel(commands);
  switch (shell) {
    case "bash":
      return bashScript(model);
    case "zsh":
      return zshScript(model);
    case "fish":
      return fishScript(model);
  }
}

/**
 * Make the `completions` command. It takes the registry as a function, read
 * when the command runs, so it can be part of the registry it describes.
 *
 * @param registry Returns the commands to complete (`() => COMMANDS`).
 * @returns The command.
 *
 * @example
 * ```ts
 * import { createCompletionsCommand } from "./completions.ts";
 * import { buildCommand } from "./commands/build.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const completions = createCompletionsCommand(() => [buildCommand, completions]);
 * const host = createMemoryHost();
 * assert.equal(await completions.run(["zsh"], { host, meta: { version: "0" } }), 0);
 * assert.match(host.out, /^#compdef tcpcraft$/m);
 * assert.match(host.out, /'completions:print a shell completion script/);
 * await assert.rejects(completions.run(["pwsh"], { host, meta: { version: "0" } }), {
 *   message: 'SHELL: "pwsh" is not one of bash, zsh, fish',
 * });
 * ```
 */
export function createCompletionsCommand(
  registry: () => readonly Command[],
): Command {
  return defineCommand({
    name: "completions",
    summary: "print a shell completion script (bash, zsh or fish)",
    description: [
      "The script completes commands, options, option values with a fixed set",
      "of choices, and file names where a file is expected. It is generated",
      "from this tcpcraft's commands: regenerate it after upgrading.",
    ].join("\n"),
    usage: "SHELL",
    args: [{ name: "SHELL", help: "bash, zsh or fish", choices: SHELLS }],
    options: defineOptions({}),
    examples: [
      {
        comment: "bash (needs the bash-completion package)",
        command:
          "tcpcraft completions bash > ~/.local/share/bash-completion/completions/tcpcraft",
      },
      {
        comment:
          "zsh (with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc)",
        command: "tcpcraft completions zsh > ~/.zfunc/_tcpcraft",
      },
      {
        comment: "fish",
        command:
          "tcpcraft completions fish > ~/.config/fish/completions/tcpcraft.fish",
      },
    ],
    run({ positionals }, { host }) {
      host.stdout(completionScript(positionals[0] as Shell, registry()));
      return Promise.resolve(0);
    },
  });
}
