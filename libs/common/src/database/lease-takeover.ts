import { newId } from '@fedchat/crypto';

/**
 * The lease owner name of one process start: the instance id and a random suffix, so that a restarted replica (same
 * HOSTNAME) never mistakes a lease of its previous life for its own. Fits the `varchar(64)` lease columns.
 */
export function leaseOwnerFor(instanceId: string): string {
  return `${instanceId}/${newId().slice(0, 8)}`.slice(0, 64);
}

/** A row just claimed, with the owner its lease had before the claim ('' when it was free or released). */
export interface ClaimedLease {
  key: string;
  previousOwner: string;
}

/** Keys named in one log line at most; the count covers the rest. */
const KEYS_SHOWN = 10;

/**
 * Logs, in one line per claim, work taken over from another instance whose lease ran out: that instance died or hung
 * mid-work, which an operator wants to see. Free or released leases (owner '') and our own are not takeovers. Costs
 * nothing extra: the previous owner comes back from the claiming UPDATE itself.
 */
export function logLeaseTakeovers(logger: { warn(message: string): void }, what: string, self: string, claimed: ClaimedLease[]): void {
  const taken = claimed.filter((c) => c.previousOwner !== '' && c.previousOwner !== self);
  if (taken.length === 0) return;
  const owners = [...new Set(taken.map((t) => t.previousOwner))].join(', ');
  const keys = taken.slice(0, KEYS_SHOWN).map((t) => t.key);
  const more = taken.length > KEYS_SHOWN ? ` and ${taken.length - KEYS_SHOWN} more` : '';
  logger.warn(`took over ${taken.length} ${what} whose lease expired in the hands of ${owners}: ${keys.join(', ')}${more}`);
}
