import { ValidationError, type DnsZone } from "@charon/core";

/** Trimmed, lower-case, one trailing dot removed: how zone and record names are compared. */
export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** The normalised `fqdn`, which must be the zone's apex or a name below it. */
export function nameInZone(zone: DnsZone, fqdn: string): string {
  const name = normaliseName(fqdn);
  const zoneName = normaliseName(zone.name);
  if (name === "" || name.includes("..")) {
    throw new ValidationError(`'${fqdn}' is not a valid DNS name`, "Invalid record name");
  }
  if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
    throw new ValidationError(`'${name}' is not inside zone '${zoneName}'`, "Invalid record name");
  }
  return name;
}

/** The name relative to its zone, `@` for the apex (`_acme-challenge.a.example.com` → `_acme-challenge.a`). */
export function relativeName(zoneName: string, fqdn: string): string {
  const zone = normaliseName(zoneName);
  const name = normaliseName(fqdn);
  return name === zone ? "@" : name.slice(0, -(zone.length + 1));
}

/** A TXT value must be non-empty printable ASCII that fits one character-string. */
export function checkTxtValue(value: string): string {
  if (value.length === 0 || value.length > 255 || !/^[\x20-\x7e]+$/.test(value)) {
    throw new ValidationError(
      "A TXT value must be 1 to 255 printable ASCII characters",
      "Invalid TXT value",
    );
  }
  return value;
}

/** Zone-file form of a TXT value: `"value"`, with `"` and `\` escaped. */
export function quoteTxt(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The value a TXT record's content stands for: the character-strings of `"a" "b"` joined (`ab`),
 * escapes resolved (`\"`, `\\`, `\065`); content without quotes is taken as it is.
 */
export function unquoteTxt(content: string): string {
  const text = content.trim();
  if (!text.startsWith('"')) return text;
  let result = "";
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      inside = !inside;
    } else if (!inside) {
      continue;
    } else if (c === "\\" && i + 1 < text.length) {
      const digits = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        result += String.fromCharCode(Number(digits));
        i += 3;
      } else {
        result += text[i + 1];
        i += 1;
      }
    } else {
      result += c;
    }
  }
  return result;
}

/**
 * Serialises read-modify-write updates of one record set within this process: two challenges
 * for `example.com` and `*.example.com` write the same `_acme-challenge.example.com` at once.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
