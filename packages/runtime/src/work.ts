/**
 * What each kind of work message does: one `WorkHandler` for the worker Lambda (through
 * `sqsBatchHandler`) and for `npm start`'s in-process queue, so both run the same code.
 */
import type { WorkHandler } from "@charon/core";
import type { AppServices } from "./compose.js";
import type { Logger } from "./logger.js";

export function createWorkHandler(services: AppServices, logger: Logger): WorkHandler {
  return async (message) => {
    switch (message.kind) {
      case "certificate.advance":
        if (!services.issuer) {
          // A process composed without issuance adapters: the order waits for one that has them.
          logger.warn("certificate issuance is not configured here", {
            category: "certificate_issuance",
            certificate_id: message.certificateId,
          });
          return;
        }
        await services.issuer.advance(message.certificateId);
        return;
      case "notification.publish":
        await services.notifications.fanOut(message.event);
        return;
      case "notification.deliver":
        await services.notifications.deliver(message);
        return;
    }
  };
}
