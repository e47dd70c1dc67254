/**
 * An id as sort-key text that sorts like the number: "000000000010" after "000000000009". Ids
 * come from counters and stay far below 10^12.
 */
export function sortableId(id: number): string {
  return String(id).padStart(12, "0");
}
