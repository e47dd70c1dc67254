/**
 * Requests the server makes to a URL a user supplied (a PowerDNS credential's `api_url` today;
 * webhooks and agents next) go out from inside the deployment's network on that user's behalf:
 * they must not reach what the user could not (the cloud's metadata service, the API's own
 * DynamoDB, a neighbour on the private network). One policy decides for every such URL; the
 * entry points configure it (`CHARON_OUTBOUND_ALLOW`) and hand it to the adapters.
 */
export interface OutboundPolicy {
  /**
   * `url` parsed, when it may be called at all: `http:` or `https:`, and not a literal address
   * the policy refuses. A host name passes here and is checked when connecting. Throws
   * OutboundRefusedError saying why.
   */
  check(url: string | URL): URL;
  /**
   * `fetch` whose connections go only to addresses the policy allows, each checked as DNS returns
   * it for the connection (so a name that resolves differently later cannot slip past); a
   * redirect is answered as it is, never followed. Rejects with OutboundRefusedError when refused.
   */
  fetch(url: URL, init?: RequestInit): Promise<Response>;
}

/** A request the outbound policy does not allow; the message names the address and why. */
export class OutboundRefusedError extends Error {
  override readonly name = "OutboundRefusedError";
}
