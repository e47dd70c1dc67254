/** The baseline of `npm run bench:lambda`: a bare Hono hello-world behind the same Lambda adapter. */
import { Hono } from "hono";
import { handle } from "hono/aws-lambda";

const app = new Hono().get("/", (c) => c.text("hello"));

export const handler = handle(app);
