const MULTIPLIER = 0x01000193;
// Keys in the small-integer range are the cheapest a Map can hash and compare.
const KEY_BITS = 0x3fffffff;

/**
 * A hash that grows to the left: hash(c + s) = hash(s) + c·M^length(s). ZoneIndex hashes the
 * zones of a name one label at a time, from its top-level label down, without slicing the name.
 * Different zones can share a key: whoever looks a key up compares the zone itself.
 */
export class SuffixHash {
  #sum = 0;
  #weight = 1;

  /** Takes in the characters `text[to, from)`, right to left: the ones just before those hashed so far. */
  prepend(text: string, from: number, to: number): this {
    for (let i = from - 1; i >= to; i--) {
      this.#sum = (this.#sum + Math.imul(text.charCodeAt(i), this.#weight)) | 0;
      this.#weight = Math.imul(this.#weight, MULTIPLIER);
    }
    return this;
  }

  get key(): number {
    return this.#sum & KEY_BITS;
  }
}

export function suffixHashKey(text: string): number {
  return new SuffixHash().prepend(text, text.length, 0).key;
}
