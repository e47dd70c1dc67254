/**
 * What each kind of work message does: one `WorkHandler` for the worker Lambda (through
 * `sqsBatchHandler`) and for `npm start`'s in-process queue, so both run the same code.
 */
import type { WorkHandler } from "@charon/core";
import type { AppServices } from "./compose.js";
import type { Logger } from "./logger.js";

export function createWorkHandler(_services: AppServices, logger: Logger): WorkHandler {
  return async (message) => {
    switch (message.kind) {
      case "certificate.advance":
        // Issuance (@charon/acme) is wired here when it lands; until then a certificate stays
        // `pending`, as it did before the queue existed, and the message is done.
        logger.warn("certificate issuance is not available yet", {
          category: "certificate_issuance",
          certificateId: message.certificateId,
        });
        return;
    }
  };
}
