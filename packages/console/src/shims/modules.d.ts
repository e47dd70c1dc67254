// The console type-checks without Node's types; `@charon/zones` (checked with them on its own) imports this.
declare module "node:url" {
  export function domainToASCII(domain: string): string;
}
