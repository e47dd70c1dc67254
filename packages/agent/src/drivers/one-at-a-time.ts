/**
 * Runs the work given to it one piece at a time, in order: a driver's snapshot applies and deny-list
 * applies write the same tree or document. A failed piece does not stop the ones after it; its
 * caller gets the failure.
 */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
