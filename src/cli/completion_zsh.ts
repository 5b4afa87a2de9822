/**
 * The zsh completion script, generated from the registry's model
 * (`completion_model.ts`).
 *
 * @module
 */

import {
  type CompletionCommand,
  type CompletionOption,
  HELP_OPTION,
  oneLine,
  optionWords,
  shQuote,
  TOP_LEVEL_OPTIONS,
  type ValueCompletion,
} from "./completion_model.ts";
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

/**
 * The zsh completion script of a registry's model.
 *
 * @param model The model (`completionModel`).
 * @returns The script, ending with a newline.
 *
 * @example
 * ```ts
 * import { zshScript } from "./completion_zsh.ts";
 * import { completionModel } from "./completion_model.ts";
 * import { buildCommand } from "./commands/build.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(zshScript(completionModel([buildCommand])), /build/);
 * ```
 */
export function zshScript(model: readonly CompletionCommand[]): string {
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
