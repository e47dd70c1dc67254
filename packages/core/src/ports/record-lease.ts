/**
 * A short lease on one DNS record name, held in the data store (shared/spec/dns-01.md §2): two
 * orders, or two worker processes, that add or remove TXT values at one record name take turns,
 * so that neither one's read-modify-write of the record set loses the other's value. An in-process
 * lock is not enough: Lambda runs many processes. Adapter: `@charon/aws` (a conditional put).
 */
export interface RecordLeases {
  /**
   * Takes the lease on `recordName` for `owner` for `durationMs` milliseconds. `owner` names the
   * work, not the process (the solver uses the challenge's value), so whoever resumes the work of
   * a process that died holding the lease takes it back at once. True when taken:
   * the lease was free, had expired (a holder that crashed), or is `owner`'s already (renewed).
   * False when another owner holds an unexpired lease.
   */
  acquire(recordName: string, owner: string, durationMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` still holds it; anything else is left alone. */
  release(recordName: string, owner: string): Promise<void>;
}
