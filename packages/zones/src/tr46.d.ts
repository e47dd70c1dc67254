// tr46 ships no types; this declares the one function this package uses.
declare module "tr46" {
  export interface IdnaOptions {
    checkBidi?: boolean;
    checkHyphens?: boolean;
    checkJoiners?: boolean;
    ignoreInvalidPunycode?: boolean;
    transitionalProcessing?: boolean;
    useSTD3ASCIIRules?: boolean;
    verifyDNSLength?: boolean;
  }
  /** The A-label form of `domainName`, or null when UTS-46 processing reports an error. */
  export function toASCII(domainName: string, options?: IdnaOptions): string | null;
}
