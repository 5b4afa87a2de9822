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

import { bashScript } from "./completion_bash.ts";
import { fishScript } from "./completion_fish.ts";
import { type CompletionCommand, completionModel } from "./completion_model.ts";
import { zshScript } from "./completion_zsh.ts";
import { defineOptions } from "./args.ts";
import { type Command, defineCommand } from "./command.ts";

/** The shells `completions` writes scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@linkcode SHELLS}. */
export type Shell = typeof SHELLS[number];

/** The script generator of each shell. */
const SCRIPTS: Readonly<
  Record<Shell, (model: readonly CompletionCommand[]) => string>
> = Object.freeze({ bash: bashScript, zsh: zshScript, fish: fishScript });

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
  return SCRIPTS[shell](completionModel(commands));
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
