import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The signature's length: 128 bits of HMAC-SHA256 (RFC 2104; truncation per RFC 4868 §2.6). */
const SIGNATURE_BYTES = 16;

/**
 * Page cursors the server can recognise as its own: `base64url(JSON position) "." base64url(MAC)`,
 * the MAC an HMAC-SHA256 over the listing the cursor belongs to and the position, under a key
 * only the server holds (`docs/decisions/0014-signed-cursors.md`). A cursor that was altered,
 * made by hand, or issued for another listing fails `open` (the caller answers 400).
 */
export class CursorSigner {
  private key: Promise<Buffer> | undefined;

  /** `loadKey` is called once (again only after it failed). */
  constructor(private readonly loadKey: () => Promise<Buffer>) {}

  async seal(listing: string, position: Record<string, unknown>): Promise<string> {
    const payload = Buffer.from(JSON.stringify(position)).toString("base64url");
    return `${payload}.${this.mac(await this.secret(), listing, payload).toString("base64url")}`;
  }

  /** The position in `cursor` when this server issued it for `listing`; undefined otherwise. */
  async open(listing: string, cursor: string): Promise<unknown> {
    const [payload, signature, ...rest] = cursor.split(".");
    if (payload === undefined || signature === undefined || rest.length > 0) return undefined;
    const given = Buffer.from(signature, "base64url");
    const expected = this.mac(await this.secret(), listing, payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
  }

  private mac(key: Buffer, listing: string, payload: string): Buffer {
    // The listing is length-prefixed, so no (listing, payload) pair can pass for another.
    return createHmac("sha256", key).update(`${listing.length}:${listing}:${payload}`).digest().subarray(0, SIGNATURE_BYTES);
  }

  private secret(): Promise<Buffer> {
    this.key ??= this.loadKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }
}

/** A new random cursor key (256 bits). */
export function newCursorKey(): Buffer {
  return randomBytes(32);
}
