/**
 * What an API token may do. `read` tokens may call every read route; `full` everything;
 * `scoped` only the listed resource types, each `read` or `write` (write implies read).
 */
export const resourceTypes = [
  "proxy_hosts",
  "certificates",
  "dns_providers",
  "security",
  "audit",
  "tokens",
  "settings",
  "agents",
  "notifications",
] as const;
export type ResourceType = (typeof resourceTypes)[number];
export type Access = "read" | "write";
export type Permission = "read" | "full" | "scoped";
export type Scopes = Partial<Record<ResourceType, Access>>;

/** Who is calling: the token's identity and rights, never its secret value. */
export interface Principal {
  tokenId: number;
  name: string;
  permission: Permission;
  scopes: Scopes;
}

export function allows(principal: Principal, resource: ResourceType, access: Access): boolean {
  switch (principal.permission) {
    case "full":
      return true;
    case "read":
      return access === "read";
    case "scoped": {
      const granted = principal.scopes[resource];
      return granted === "write" || (granted === "read" && access === "read");
    }
  }
}

/** True when `candidate` grants nothing that `holder` lacks (a token cannot mint a stronger one). */
export function isWithin(holder: Principal, candidate: Pick<Principal, "permission" | "scopes">): boolean {
  const asPrincipal: Principal = { tokenId: 0, name: "", ...candidate };
  return resourceTypes.every((resource) =>
    (["read", "write"] as const).every(
      (access) => !allows(asPrincipal, resource, access) || allows(holder, resource, access),
    ),
  );
}

/** The 403 message, in the documents' words ("Insufficient permissions to manage credentials"). */
export function forbiddenMessage(subject: string, access: Access): string {
  return `Insufficient permissions to ${access === "read" ? "read" : "manage"} ${subject}`;
}
