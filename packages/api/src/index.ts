export { createApp, MAX_BODY_BYTES, type App } from "./app.js";
export { createServices, type Adapters, type AppServices } from "@charon/runtime";
export { listen } from "./node-server.js";
export { SERVER_TIMEOUTS, type ServerTimeouts } from "./config.js";
