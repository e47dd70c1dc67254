/**
 * The headers of every console answer, from `npm start` (console-site.ts) and from CloudFront
 * (stacks/console.ts): one record for both, in a module with no imports, so the stacks read it
 * without loading the server. The policy: the console's own origin only, nothing inline (its build
 * emits no inline script or style), no framing (clickjacking), no plugins; no MIME sniffing; no
 * referrer leaves the console.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
};
