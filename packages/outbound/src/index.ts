export { createOutboundPolicy, parseOutboundAllow, refusal, type OutboundAllowance, type ResolveAll } from "./policy.js";
