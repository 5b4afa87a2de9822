/**
 * How big a scan may be without being confirmed: more than
 * {@linkcode MAX_UNCONFIRMED_ADDRESSES} addresses (hosts, after exclusions,
 * whatever the number of ports: masscan's and zmap's count of targets)
 * need `--yes`, or an `--exclude-file` (a blocklist, as zmap wants one);
 * `--dry-run` needs neither, since it sends nothing.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { groupDigits } from "./numbers.ts";

/** The most addresses a scan may hold without `--yes` or `--exclude-file`. */
export const MAX_UNCONFIRMED_ADDRESSES = 65536;

/** The options {@linkcode checkScanSize} reads. */
export interface ScanSizeOptions {
  /** `--yes`. */
  yes?: boolean | undefined;
  /** `--exclude-file`. */
  excludeFile?: string | undefined;
  /** `--dry-run`. */
  dryRun?: boolean | undefined;
}

/**
 * Refuse a scan of more than {@linkcode MAX_UNCONFIRMED_ADDRESSES}
 * addresses without `--yes` or `--exclude-file` (a dry run passes).
 *
 * @param addresses How many addresses the scan holds (after exclusions).
 * @param options `--yes`, `--exclude-file`, `--dry-run`.
 * @throws {UsageError} `Cannot scan N addresses without --yes: …`.
 *
 * @example
 * ```ts
 * import { checkScanSize } from "./scan_size.ts";
 * import assert from "node:assert/strict";
 *
 * checkScanSize(65536, {});
 * checkScanSize(2 ** 24, { yes: true });
 * checkScanSize(2 ** 24, { dryRun: true });
 * assert.throws(() => checkScanSize(2 ** 24, {}), /^UsageError: Cannot scan 16,777,216 addresses without --yes/);
 * ```
 */
export function checkScanSize(
  addresses: number,
  options: ScanSizeOptions,
): void {
  if (
    addresses <= MAX_UNCONFIRMED_ADDRESSES || options.yes === true ||
    options.excludeFile !== undefined || options.dryRun === true
  ) {
    return;
  }
  throw new UsageError(
    `Cannot scan ${groupDigits(addresses)} addresses without --yes: more than ${
      groupDigits(MAX_UNCONFIRMED_ADDRESSES)
    } hosts is a sweep of whole networks; give --yes to go on, or --exclude-file FILE to leave out what must not be scanned`,
  );
}
