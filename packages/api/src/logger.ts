export type { Logger } from "@charon/runtime";
