/**
 * nmap's rule for the ports it does not list ("Not shown: 65530 closed tcp
 * ports (reset)", XML `<extraports>`), from nmap's `portlist.cc`
 * (`PortList::isIgnoredState`, `nextIgnoredState`) and `portreasons.cc`
 * (`get_state_reason_summary`):
 *
 * - open ports are always listed;
 * - with `--open`, every state but open|filtered and unfiltered is
 *   collapsed;
 * - otherwise a state is collapsed when more than 25 ports are in it,
 *   25 × (verbosity + 1) with `-v`; `--all-ports` (tcpcraft's) collapses
 *   nothing;
 * - collapsed states are given most ports first, ties in nmap's state
 *   order (closed, filtered, unfiltered, open|filtered);
 * - within a state, the reasons are given most ports first, with the same
 *   merge sort nmap uses (so ties come out in nmap's order).
 *
 * @module
 */

import type { PortState } from "../scan/state.ts";

/** nmap's state numbers (`portlist.h`), which order ties. */
const STATE_NUMBERS: Readonly<Record<PortState, number>> = Object.freeze({
  closed: 1,
  open: 2,
  filtered: 3,
  unfiltered: 6,
  "open|filtered": 7,
});

/** The switches of nmap that change which states are collapsed. */
export interface CollapseOptions {
  /** nmap's `-v` level (default 0). */
  verbose?: number;
  /** Collapse nothing (default false). */
  allPorts?: boolean;
  /** nmap's `--open` (default false). */
  openOnly?: boolean;
}

/**
 * Whether nmap collapses a state into "Not shown" (`isIgnoredState`).
 *
 * @param state The state.
 * @param count How many ports of the host are in it.
 * @param options Verbosity, `--open`, show all.
 * @returns True when its ports are not listed.
 *
 * @example
 * ```ts
 * import { isCollapsedState } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isCollapsedState("closed", 26), true);
 * assert.equal(isCollapsedState("closed", 25), false);
 * assert.equal(isCollapsedState("closed", 26, { verbose: 1 }), false); // 50 with -v
 * assert.equal(isCollapsedState("open", 1000), false);
 * assert.equal(isCollapsedState("closed", 1, { openOnly: true }), true);
 * ```
 */
export function isCollapsedState(
  state: PortState,
  count: number,
  options: CollapseOptions = {},
): boolean {
  if (options.allPorts === true || state === "open") return false;
  if (
    options.openOnly === true && state !== "open|filtered" &&
    state !== "unfiltered" && count > 0
  ) {
    return true;
  }
  const verbose = options.verbose ?? 0;
  const maxPerState = 25 * (verbose > 0 ? verbose + 1 : 1);
  return count > maxPerState;
}

/**
 * The collapsed states of a host, in the order nmap gives them
 * (`nextIgnoredState`): most ports first, ties by nmap's state number.
 *
 * @param counts Ports per state.
 * @param options Verbosity, `--open`, show all.
 * @returns The states.
 *
 * @example
 * ```ts
 * import { collapsedStates } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const counts = new Map([["filtered", 40], ["closed", 40], ["open", 2]] as const);
 * assert.deepEqual(collapsedStates(counts), ["closed", "filtered"]);
 * ```
 */
export function collapsedStates(
  counts: ReadonlyMap<PortState, number>,
  options: CollapseOptions = {},
): PortState[] {
  return [...counts].filter(([state, count]) =>
    count > 0 && isCollapsedState(state, count, options)
  ).sort(([a, x], [b, y]) => y - x || STATE_NUMBERS[a] - STATE_NUMBERS[b])
    .map(([state]) => state);
}

/** The ports of a collapsed state that share a reason. */
export interface ReasonGroup {
  /** The reason. */
  reason: string;
  /** The ports, ascending. */
  ports: number[];
}

/**
 * Group the ports of a collapsed state by reason, in nmap's order: most
 * ports first, by nmap's merge sort, which on ties takes the group that
 * came later in port order first (`reason_sort` in `portreasons.cc`).
 *
 * @param ports The state's ports with their reasons, ascending by port.
 * @returns The groups.
 *
 * @example
 * ```ts
 * import { reasonGroups } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const groups = reasonGroups([
 *   { port: 1, reason: "no-response" },
 *   { port: 2, reason: "admin-prohibited" },
 *   { port: 3, reason: "no-response" },
 * ]);
 * assert.deepEqual(groups, [
 *   { reason: "no-response", ports: [1, 3] },
 *   { reason: "admin-prohibited", ports: [2] },
 * ]);
 * ```
 */
export function reasonGroups(
  ports: Iterable<{ port: number; reason: string }>,
): ReasonGroup[] {
  const byReason = new Map<string, ReasonGroup>();
  for (const { port, reason } of ports) {
    let group = byReason.get(reason);
    if (group === undefined) {
      group = { reason, ports: [] };
      byReason.set(reason, group);
    }
    group.ports.push(port);
  }
  // nmap's list starts with an empty head (count 0), which sinks to the end
  // and is not printed; it takes part in the merges, so it is kept here.
  const list: (ReasonGroup | undefined)[] = [undefined, ...byReason.values()];
  return tathamSort(list).filter((g): g is ReasonGroup => g !== undefined);
}

function count(group: ReasonGroup | undefined): number {
  return group === undefined ? 0 : group.ports.length;
}

/**
 * Simon Tatham's bottom-up merge sort as nmap writes it: descending by
 * count; on a tie the element of the second run goes first.
 */
function tathamSort<T extends ReasonGroup | undefined>(input: T[]): T[] {
  let list = input;
  for (let size = 1; size < list.length; size *= 2) {
    const merged: T[] = [];
    for (let start = 0; start < list.length; start += 2 * size) {
      const p = list.slice(start, start + size);
      const q = list.slice(start + size, start + 2 * size);
      let i = 0;
      let j = 0;
      while (i < p.length || j < q.length) {
        if (i === p.length) merged.push(q[j++]!);
        else if (j === q.length) merged.push(p[i++]!);
        else if (count(q[j]) < count(p[i])) merged.push(p[i++]!);
        else merged.push(q[j++]!);
      }
    }
    list = merged;
  }
  return list;
}

/**
 * Ports as nmap writes a list of them: ascending, runs as `FIRST-LAST`,
 * comma-separated (`output_rangelist_given_ports`).
 *
 * @param ports The ports, ascending.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { portRangeText } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(portRangeText([1, 2, 3, 5, 7, 8]), "1-3,5,7-8");
 * ```
 */
export function portRangeText(ports: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length;) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j]! + 1) j++;
    parts.push(i === j ? `${ports[i]}` : `${ports[i]}-${ports[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
