/**
 * The one target resolver (src/engine/resolve.ts) and the command line's
 * use of it (src/cli/target.ts): names through the network's resolveHost,
 * first or every address, canonical text, and what is said when a name
 * resolves to nothing.
 */

import assert from "node:assert/strict";
import { NoAddressError, resolveAddresses } from "../mod.ts";
import { CliError, UsageError } from "../src/cli/errors.ts";
import {
  parseTarget,
  resolveParsedTarget,
  resolveTargetSpecs,
} from "../src/cli/target.ts";

const TABLE: Record<string, string[]> = {
  "both.test": ["2001:DB8:0:0::7", "192.0.2.7", "192.0.2.8"],
  "empty.test": [],
};

const asked: { name: string; family: 4 | 6 | undefined }[] = [];

function resolveHost(name: string, options: { family?: 4 | 6 } = {}) {
  asked.push({ name, family: options.family });
  const found = TABLE[name];
  if (found === undefined) {
    return Promise.reject(
      new Error(`Cannot resolve host "${name}": Name or service not known`),
    );
  }
  return Promise.resolve(
    found.filter((a) =>
      options.family === undefined || a.includes(":") === (options.family === 6)
    ),
  );
}

Deno.test("resolveAddresses() keeps the first address (or all), canonical, of the family asked for", async () => {
  assert.deepEqual(await resolveAddresses("both.test", resolveHost), [
    { address: "2001:db8::7", family: 6 },
  ]);
  assert.deepEqual(
    await resolveAddresses("both.test", resolveHost, { family: 4, all: true }),
    [{ address: "192.0.2.7", family: 4 }, {
      address: "192.0.2.8",
      family: 4,
    }],
  );
  assert.deepEqual(asked.at(-1), { name: "both.test", family: 4 });
});

Deno.test("resolveAddresses() says a name with no address has none, and passes the resolver's errors on", async () => {
  await assert.rejects(
    resolveAddresses("empty.test", resolveHost),
    (error) =>
      error instanceof NoAddressError && error.host === "empty.test" &&
      error.message === 'Cannot resolve host "empty.test": no address',
  );
  await assert.rejects(
    resolveAddresses("nowhere.test", resolveHost),
    /^Error: Cannot resolve host "nowhere.test": Name or service not known$/,
  );
});

Deno.test("resolveParsedTarget() resolves only names, and an empty answer is a run-time error", async () => {
  let looked = 0;
  const lookup = () => {
    looked++;
    return resolveHost;
  };
  assert.deepEqual(
    await resolveParsedTarget(parseTarget("192.0.2.1:22"), undefined, lookup),
    { address: "192.0.2.1", family: 4, port: 22, text: "192.0.2.1:22" },
  );
  assert.equal(looked, 0);
  assert.deepEqual(
    await resolveParsedTarget(
      parseTarget("both.test", { names: true }),
      4,
      lookup,
    ),
    { address: "192.0.2.7", family: 4, text: "both.test" },
  );
  await assert.rejects(
    resolveParsedTarget(parseTarget("empty.test", { names: true }), 4, lookup),
    (error) =>
      error instanceof CliError &&
      error.message === 'Cannot resolve host "empty.test": no address',
  );
});

Deno.test("resolveTargetSpecs() keeps every address of an exclusion and checks the family of a target", async () => {
  const lookup = () => resolveHost;
  const ranges = await resolveTargetSpecs(["both.test"], {
    lookup,
    family: undefined,
    what: "--exclude",
    allAddresses: true,
  });
  assert.equal(ranges.length, 3);
  await assert.rejects(
    resolveTargetSpecs(["2001:db8::/126"], {
      lookup,
      family: 4,
      what: "TARGETS",
      allAddresses: false,
    }),
    (error) =>
      error instanceof UsageError &&
      error.message ===
        'TARGETS: "2001:db8::/126" is IPv6, but only IPv4 is scanned (-4 or --src)',
  );
  await assert.rejects(
    resolveTargetSpecs(["nowhere.test"], {
      lookup,
      family: undefined,
      what: "TARGETS",
      allAddresses: false,
    }),
    {
      message:
        // Said once (the resolver's message names the host already).
        'Cannot resolve host "nowhere.test": Name or service not known',
    },
  );
});
