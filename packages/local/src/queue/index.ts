export { InProcessWorkQueue, type InProcessWorkQueueOptions } from "./in-process-work-queue.js";
export { systemTimers, type Timers } from "./timers.js";
