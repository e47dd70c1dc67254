/**
 * The API as the benchmarks drive it, as curl would: the token as a Bearer header, JSON in and out.
 * `Answer` is the shape the caller reads from answers; a non-2xx answer throws with its status and body.
 */
export function jsonApi<Answer>(base: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Answer;
  };
}
