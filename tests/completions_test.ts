/**
 * Shell completions, checked by the shells themselves: each script is
 * syntax-checked (`bash -n`, `zsh -n`, `fish -n`) and then driven the way
 * the shell drives it (bash: the completion function with `COMP_WORDS`;
 * zsh: an interactive zsh in a pseudo-terminal pressing Tab; fish:
 * `complete -C`). What is expected is derived from the command registry and
 * each command's option table, so a command added later is held to the same
 * rules without touching this file.
 */

import assert from "node:assert/strict";
import { defineOptions, longName } from "../src/cli/args.ts";
import { type Command, defineCommand } from "../src/cli/command.ts";
import {
  completionScript,
  createCompletionsCommand,
  type Shell,
  SHELLS,
} from "../src/cli/completions.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { COMMANDS, runCli } from "../src/cli/main.ts";
import { commandExists } from "./_netns.ts";

const decoder = new TextDecoder();

const HAS = {
  bash: commandExists("bash"),
  zsh: commandExists("zsh"),
  fish: commandExists("fish"),
};

function skipNote(shell: Shell): string {
  return HAS[shell]
    ? ""
    : ` (skipped: ${shell} is not installed; apt-get install ${shell})`;
}

async function run(
  command: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(cwd === undefined ? {} : { cwd }),
    env: { TERM: "dumb", HOME: cwd ?? "/nonexistent" },
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A temporary folder holding the script, and a file to complete. */
async function workdir(shell: Shell, script: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `tcpcraft-${shell}-` });
  await Deno.writeTextFile(`${dir}/tcpcraft.${shell}`, script);
  await Deno.writeTextFile(`${dir}/capture.pcap`, "");
  await Deno.mkdir(`${dir}/zfunc`);
  await Deno.writeTextFile(`${dir}/zfunc/_tcpcraft`, script);
  return dir;
}

/**
 * Split a command line as bash's completion does: at spaces, and `=` is a
 * word of its own (it is in COMP_WORDBREAKS). A trailing space starts an
 * empty word.
 */
function bashWords(line: string): string[] {
  return line.split(" ").flatMap((word) =>
    word.includes("=")
      ? word.split(/(=)/).filter((part, i, all) =>
        part !== "" || i === all.length - 1
      )
      : [word]
  );
}

/** What the bash function offers for each line (cursor at the end). */
async function bashComplete(
  script: string,
  lines: readonly string[],
): Promise<string[][]> {
  const dir = await workdir("bash", script);
  try {
    const driver = [
      `source ${dir}/tcpcraft.bash || exit 3`,
      ...lines.map((line) => {
        const words = bashWords(line).map((w) => `'${w}'`).join(" ");
        return `COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); ` +
          `COMPREPLY=(); _tcpcraft; printf '%s\\n' "\${COMPREPLY[@]}"; echo --done--`;
      }),
    ].join("\n");
    await Deno.writeTextFile(`${dir}/driver.bash`, driver);
    const result = await run("bash", ["--norc", `${dir}/driver.bash`], dir);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
    return splitAnswers(result.stdout, lines.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What fish's `complete -C` offers for each line (the words only). */
async function fishComplete(
  script: string,
  lines: readonly string[],
): Promise<string[][]> {
  const dir = await workdir("fish", script);
  try {
    const result = await run("fish", [
      "--no-config",
      "-c",
      'source $argv[1]; or exit 3; for l in $argv[2..-1]; complete -C"$l"; echo --done--; end',
      `${dir}/tcpcraft.fish`,
      ...lines,
    ], dir);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
    return splitAnswers(result.stdout, lines.length)
      .map((words) => words.map((w) => w.split("\t")[0]!));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The zsh side: an interactive zsh (`zsh -f -i`) in a pseudo-terminal
 * (`zpty`), with `compinit`, the script installed either on `fpath` as
 * `_tcpcraft` (the documented way) or by `source`, and Tab bound to a widget
 * that runs `complete-word` and writes a marker. `compadd` is wrapped to
 * write each match it adds (after zsh's own prefix matching) to a file.
 */
const ZSH_INIT = `
PS1='> '
unsetopt beep
if [[ $TC_MODE == fpath ]]; then fpath=($TC_DIR/zfunc $fpath); fi
autoload -Uz compinit && compinit -u -D
if [[ $TC_MODE == source ]]; then source $TC_DIR/tcpcraft.zsh; fi
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a tc_matches
  builtin compadd -A tc_matches "$@"
  local ret=$?
  (( $#tc_matches )) && print -rl -- "\${tc_matches[@]}" >> $TC_OUT
  return ret
}
tc-complete() {
  zle complete-word
  print -r -- --done-- >> $TC_OUT
}
zle -N tc-complete
bindkey '^I' tc-complete
`;

const ZSH_HARNESS = `
zmodload zsh/zpty || exit 3
: > $TC_OUT
zpty tc zsh -f -i
zpty -w tc "source $TC_DIR/init.zsh"
integer n=0 i
for line in "$@"; do
  n+=1
  zpty -w -n tc "$line"$'\\t'
  for i in {1..200}; do
    (( $(grep -c -- '^--done--$' $TC_OUT) >= n )) && break
    sleep 0.05
  done
  zpty -w -n tc $'\\C-u'
done
zpty -d tc
`;

async function zshComplete(
  script: string,
  lines: readonly string[],
  mode: "fpath" | "source",
): Promise<string[][]> {
  const dir = await workdir("zsh", script);
  try {
    await Deno.writeTextFile(`${dir}/init.zsh`, ZSH_INIT);
    await Deno.writeTextFile(`${dir}/harness.zsh`, ZSH_HARNESS);
    const output = await new Deno.Command("zsh", {
      args: ["-f", `${dir}/harness.zsh`, ...lines],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: {
        TC_DIR: dir,
        TC_OUT: `${dir}/out`,
        TC_MODE: mode,
        HOME: dir,
        TERM: "xterm",
      },
    }).output();
    assert.equal(output.code, 0, decoder.decode(output.stderr));
    const text = await Deno.readTextFile(`${dir}/out`);
    return splitAnswers(text, lines.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function splitAnswers(text: string, count: number): string[][] {
  const answers: string[][] = [[]];
  for (const line of text.split("\n")) {
    if (line === "--done--") answers.push([]);
    else if (line !== "") answers.at(-1)!.push(line);
  }
  answers.pop();
  assert.equal(answers.length, count, `answers: ${text}`);
  return answers;
}

type Completer = (script: string, lines: readonly string[]) => Promise<
  string[][]
>;

const COMPLETERS: Record<Shell, Completer> = {
  bash: bashComplete,
  zsh: (script, lines) => zshComplete(script, lines, "fpath"),
  fish: fishComplete,
};

function sorted(words: readonly string[]): string[] {
  return [...new Set(words)].sort();
}

/** Every visible option of a command as typed: `--dport`, `-p`, aliases, `--help`, `-h`. */
function optionWords(command: Command): string[] {
  const words = ["--help", "-h"];
  for (const [key, spec] of Object.entries(command.options ?? {})) {
    if (spec.hidden === true) continue;
    words.push(`--${longName(key, spec)}`);
    for (const alias of spec.aliases ?? []) words.push(`--${alias}`);
    if (spec.short !== undefined) words.push(`-${spec.short}`);
  }
  return words;
}

/**
 * A registry with a command added "later", exercising every kind of
 * completion: choices, a FILE option, an alias, a hidden option, a
 * repeatable short option, a positional with choices and a FILE positional.
 */
const LATER = defineCommand({
  name: "x-later",
  summary: "a command added after the completions were written",
  usage: "MODE FILE [OPTIONS]",
  args: [
    { name: "MODE", help: "fast or slow", choices: ["fast", "slow"] },
    { name: "FILE", help: "a capture" },
  ],
  options: defineOptions({
    rate: {
      kind: "string",
      short: "r",
      choices: ["low", "high"],
      help: "how fast [packets]: it's 'low' or \"high\"",
      valueName: "RATE",
    },
    pcap: { kind: "string", valueName: "FILE", help: "write here" },
    ttl: { kind: "number", valueName: "N", aliases: ["hop-limit"], help: "" },
    tag: { kind: "repeatable", short: "t", valueName: "T", help: "a tag" },
    secret: { kind: "boolean", hidden: true, help: "not shown" },
    verbose: { kind: "boolean", short: "v", help: "say more" },
  }),
  examples: [],
  run: () => Promise.resolve(0),
});

const EXTENDED: readonly Command[] = [...COMMANDS, LATER];

for (const shell of SHELLS) {
  Deno.test({
    name: `completions ${shell}: the script passes ${shell} -n${
      skipNote(shell)
    }`,
    ignore: !HAS[shell],
    async fn() {
      for (const registry of [COMMANDS, EXTENDED]) {
        const dir = await workdir(shell, completionScript(shell, registry));
        try {
          const result = await run(shell, ["-n", `${dir}/tcpcraft.${shell}`]);
          assert.equal(result.stderr, "");
          assert.equal(result.code, 0);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }
    },
  });

  Deno.test({
    name:
      `completions ${shell}: every registered command and each of its options are offered${
        skipNote(shell)
      }`,
    ignore: !HAS[shell],
    async fn() {
      const script = completionScript(shell, COMMANDS);
      const commandNames = COMMANDS.map((command) => command.name);
      const lines = [
        "tcpcraft ",
        ...COMMANDS.map((command) => `tcpcraft ${command.name} -`),
        "tcpcraft help ",
      ];
      const answers = await COMPLETERS[shell](script, lines);
      const top = answers[0]!.filter((w) => !w.startsWith("-"));
      assert.deepEqual(sorted(top), sorted([...commandNames, "help"]));
      COMMANDS.forEach((command, i) => {
        const offered = answers[i + 1]!;
        const expected = optionWords(command);
        // fish lists short options only for a lone "-"; every shell lists
        // the long ones.
        assert.deepEqual(
          sorted(offered.filter((w) => w.startsWith("--"))),
          sorted(expected.filter((w) => w.startsWith("--"))),
          `${shell}: options of ${command.name}`,
        );
        for (const word of offered) {
          assert.ok(expected.includes(word), `${command.name}: ${word}`);
        }
      });
      assert.deepEqual(sorted(answers.at(-1)!), sorted(commandNames));
    },
  });

  Deno.test({
    name:
      `completions ${shell}: a command added to the registry gets values, files, aliases and arguments completed${
        skipNote(shell)
      }`,
    ignore: !HAS[shell],
    async fn() {
      const script = completionScript(shell, EXTENDED);
      const cases: [line: string, expected: string[]][] = [
        ["tcpcraft x-", ["x-later"]],
        ["tcpcraft x-later --", [
          "--help",
          "--rate",
          "--pcap",
          "--ttl",
          "--hop-limit",
          "--tag",
          "--verbose",
        ]],
        ["tcpcraft x-later --hop", ["--hop-limit"]],
        ["tcpcraft x-later --rate ", ["high", "low"]],
        ["tcpcraft x-later -r h", ["high"]],
        ["tcpcraft x-later --pcap capt", ["capture.pcap"]],
        // The value of --ttl is not an argument: MODE is still next.
        ["tcpcraft x-later --ttl 5 ", ["fast", "slow"]],
        ["tcpcraft x-later -v -t x ", ["fast", "slow"]],
        ["tcpcraft x-later fast capt", ["capture.pcap"]],
        // No third argument (zsh offers the options there, which is fine).
        ["tcpcraft x-later fast capture.pcap ", []],
        ["tcpcraft help x-", ["x-later"]],
        ["tcpcraft completions ", ["bash", "fish", "zsh"]],
        ["tcpcraft completions z", ["zsh"]],
        ["tcpcraft build --format ", ["hex", "json", "text"]],
        ["tcpcraft build --data-file capt", ["capture.pcap"]],
      ];
      if (shell !== "fish") {
        // fish parses --name=value itself and answers with the whole word.
        cases.push(["tcpcraft x-later --rate=l", ["low"]]);
      }
      const answers = await COMPLETERS[shell](script, cases.map(([l]) => l));
      cases.forEach(([line, expected], i) => {
        const offered = line.endsWith(" ") && shell === "zsh"
          ? answers[i]!.filter((word) => !word.startsWith("-"))
          : answers[i]!;
        assert.deepEqual(sorted(offered), sorted(expected), line);
      });
    },
  });
}

Deno.test({
  name: `completions zsh: the script also works when sourced after compinit${
    skipNote("zsh")
  }`,
  ignore: !HAS.zsh,
  async fn() {
    const answers = await zshComplete(
      completionScript("zsh", COMMANDS),
      ["tcpcraft b", "tcpcraft build --fo"],
      "source",
    );
    assert.deepEqual(answers, [["build"], ["--format"]]);
  },
});

Deno.test("tcpcraft completions SHELL prints the script for the registry", async () => {
  for (const shell of SHELLS) {
    const host = createMemoryHost();
    assert.equal(
      await runCli(["completions", shell], host, { version: "0" }),
      0,
    );
    assert.equal(host.err, "");
    assert.equal(host.out, completionScript(shell, COMMANDS));
    assert.match(host.out, /\bcompletions\b/);
  }
});

Deno.test("tcpcraft completions refuses an unknown shell with a usage error", async () => {
  const host = createMemoryHost();
  assert.equal(await runCli(["completions", "zhs"], host, { version: "0" }), 2);
  assert.equal(
    host.err,
    'tcpcraft completions: SHELL: "zhs" is not one of bash, zsh, fish (did you mean zsh?)\n' +
      "Try 'tcpcraft completions --help'.\n",
  );
  const missing = createMemoryHost();
  assert.equal(await runCli(["completions"], missing, { version: "0" }), 2);
  assert.match(missing.err, /^tcpcraft completions: missing SHELL/);
});

Deno.test("completionScript() refuses a choice that is not one shell word", () => {
  const bad = defineCommand({
    name: "bad",
    summary: "",
    usage: "",
    args: [],
    options: defineOptions({
      mode: { kind: "string", choices: ["a b", "c"], help: "" },
    }),
    examples: [],
    run: () => Promise.resolve(0),
  });
  for (const shell of SHELLS) {
    assert.throws(() => completionScript(shell, [bad]), {
      message:
        'Cannot generate completions: bad --mode has the choice "a b", which is not one shell word',
    });
  }
  const named = { ...bad, name: "Bad;rm" };
  assert.throws(() => completionScript("bash", [named]), /bad command name/);
});

Deno.test("createCompletionsCommand() reads the registry when it runs", async () => {
  const registry: Command[] = [];
  const completions = createCompletionsCommand(() => registry);
  registry.push(completions, LATER);
  const host = createMemoryHost();
  await completions.run(["fish"], { host, meta: { version: "0" } });
  assert.match(host.out, /-a x-later -d 'a command added after/);
});
