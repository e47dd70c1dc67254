export { SqsWorkQueue, type SqsWorkQueueOptions } from "./work-queue.js";
export { sqsBatchHandler } from "./batch-handler.js";
export { WorkQueueSendError } from "./errors.js";
