export { createApp, MAX_BODY_BYTES, type App, type AppServices } from "./app.js";
export { createServices, type Adapters } from "./compose.js";
