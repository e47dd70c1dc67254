/** The outcome of testing a configuration: nginx's (or Caddy's) own error text when it failed. */
export type Trial = { ok: true } | { ok: false; message: string };

/**
 * Splits changed units (proxy hosts) into those that can be applied together and those that break
 * the configuration, without testing every unit on its own. `trial(units)` tests the configuration
 * with the accepted units so far plus `units`; the rest stay at their last good version.
 *
 * Adaptive group testing by halving: one trial when nothing is wrong, and about 2·log2(n) trials
 * per faulty unit otherwise (a half whose sibling passed is known to fail and is not re-tested).
 * Each faulty unit keeps the message of the smallest failing trial that singled it out. Trials run
 * one after the other: each builds on the units accepted before it. `failure`: the message of a
 * trial of all `units` that already failed, which is then not repeated.
 */
export async function isolateFaults<T>(
  units: readonly T[],
  trial: (units: readonly T[]) => Promise<Trial>,
  failure: string | null = null,
): Promise<{ accepted: T[]; rejected: { unit: T; message: string }[] }> {
  const accepted: T[] = [];
  const rejected: { unit: T; message: string }[] = [];

  // `knownFailure`: this group, on top of `accepted`, is already known to fail with that message.
  const search = async (group: readonly T[], knownFailure: string | null): Promise<void> => {
    if (group.length === 0) return;
    let failure = knownFailure;
    if (failure === null) {
      const result = await trial([...accepted, ...group]);
      if (result.ok) {
        accepted.push(...group);
        return;
      }
      failure = result.message;
    }
    if (group.length === 1) {
      rejected.push({ unit: group[0] as T, message: failure });
      return;
    }
    const middle = Math.ceil(group.length / 2);
    const first = group.slice(0, middle);
    const second = group.slice(middle);
    const firstResult = await trial([...accepted, ...first]);
    if (firstResult.ok) {
      accepted.push(...first);
      // The whole group failed and its first half did not: the fault is in the second half.
      await search(second, failure);
    } else {
      await search(first, firstResult.message);
      await search(second, null);
    }
  };
  await search(units, failure);
  return { accepted, rejected };
}
