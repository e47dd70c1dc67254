import { foldHostName } from "./names.js";

/**
 * Whether a certificate with these names serves `host`. A name covers itself; `*.z` covers one
 * extra label in front of `z` (`shop.z`), never `z` itself nor deeper names (RFC 6125 §6.4.3).
 * Case, a trailing dot and Unicode versus A-labels make no difference.
 */
export function certificateCovers(certificateNames: readonly string[], host: string): boolean {
  const target = foldHostName(host);
  if (target === null) return false;
  const firstDot = target.indexOf(".");
  const parent = firstDot > 0 ? target.slice(firstDot + 1) : null;
  return certificateNames.some((certificateName) => {
    const name = foldHostName(certificateName);
    if (name === null) return false;
    return name === target || (name.startsWith("*.") && name.slice(2) === parent);
  });
}
