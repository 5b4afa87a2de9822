/**
 * Least privilege for the commands that touch the network: once a command
 * has opened every socket it needs (raw sockets, receivers, send rings,
 * packet and link sockets) and every file it writes, it gives up its
 * privileges through the host's network (`Net.dropPrivileges`, the ffi
 * layer's `dropPrivileges`), before it reads a byte from the network or
 * sends its first packet.
 *
 * Who it becomes, when it runs as root: the user who ran `sudo`
 * (`SUDO_UID` and `SUDO_GID`, when both are numbers other than 0), else
 * `nobody`. A process that is not root (a binary given `cap_net_raw` by
 * `setcap`) stays who it is and clears its capabilities. A drop that fails
 * ends the command before anything is read or sent. Without `--allow-ffi`
 * (a connect scan under `deno run --allow-net`) nothing can be changed:
 * such a run should not be started as root.
 *
 * @module
 */

import type { NetDropTarget, NetPrivilegeDrop } from "../host/net.ts";
import { CliError } from "./errors.ts";
import type { CliHost } from "./host.ts";

function id(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 && value < 0xffffffff ? value : undefined;
}

/**
 * The user to become when running as root: the one `sudo` names
 * (`SUDO_UID`, `SUDO_GID`), or undefined for the default (`nobody`).
 *
 * @param host The host, for its environment.
 * @returns The ids, or undefined.
 *
 * @example
 * ```ts
 * import { dropTarget } from "./privileges.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const sudo = createMemoryHost({ env: { SUDO_UID: "1000", SUDO_GID: "1000" } });
 * assert.deepEqual(dropTarget(sudo), { uid: 1000, gid: 1000 });
 * // root's own sudo, or a forged value, means nobody
 * assert.equal(dropTarget(createMemoryHost({ env: { SUDO_UID: "0", SUDO_GID: "0" } })), undefined);
 * assert.equal(dropTarget(createMemoryHost()), undefined);
 * ```
 */
export function dropTarget(host: CliHost): NetDropTarget | undefined {
  const uid = id(host.env("SUDO_UID"));
  const gid = id(host.env("SUDO_GID"));
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

/**
 * Give up the process's privileges now (see the module documentation):
 * call it once every socket and output file is open, before the first
 * packet is sent or read. A host without `dropPrivileges` (the memory host
 * of tests, a library user's network) has nothing to give up.
 *
 * @param host The host.
 * @returns What was done, or undefined when the host cannot.
 * @throws {CliError} When a step fails (exit 1): nothing has been read or sent.
 *
 * @example
 * ```ts
 * import { dropPrivileges } from "./privileges.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(dropPrivileges(createMemoryHost()), undefined);
 * ```
 */
export function dropPrivileges(host: CliHost): NetPrivilegeDrop | undefined {
  const net = host.net;
  if (net?.dropPrivileges === undefined) return undefined;
  // Without the C library (a connect scan under deno run --allow-net)
  // there is no way to change ids: such a run should not be root.
  if ((host.missingPermissions?.([{ name: "ffi" }]) ?? []).length > 0) {
    return undefined;
  }
  try {
    return net.dropPrivileges(dropTarget(host));
  } catch (error) {
    throw new CliError(
      error instanceof Error
        ? error.message
        : `Cannot drop privileges: ${String(error)}`,
      { cause: error },
    );
  }
}
