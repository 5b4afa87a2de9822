/**
 * The bash completion script, generated from the registry's model
 * (`completion_model.ts`).
 *
 * @module
 */

import {
  type CompletionCommand,
  optionWords,
  shQuote,
  TOP_LEVEL_OPTIONS,
  type ValueCompletion,
} from "./completion_model.ts";

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

/** The parts of the bash script that come from the registry. */
interface BashTables {
  /** What completes before a command: the commands and top-level options. */
  top: string[];
  /** A `case` branch per command: its options, those that take a value, their letters. */
  perCommand: string[];
  /** A `case` branch per option value that completes to something. */
  values: string[];
  /** A `case` branch per positional argument that completes to something. */
  positionals: string[];
}

function bashTables(model: readonly CompletionCommand[]): BashTables {
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
  return { top, perCommand, values, positionals };
}

/**
 * The bash completion script of a registry's model.
 *
 * @param model The model (`completionModel`).
 * @returns The script, ending with a newline.
 *
 * @example
 * ```ts
 * import { bashScript } from "./completion_bash.ts";
 * import { completionModel } from "./completion_model.ts";
 * import { buildCommand } from "./commands/build.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(bashScript(completionModel([buildCommand])), /build/);
 * ```
 */
export function bashScript(model: readonly CompletionCommand[]): string {
  const { top, perCommand, values, positionals } = bashTables(model);
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
