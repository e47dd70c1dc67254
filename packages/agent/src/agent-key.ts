import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { calculateJwkThumbprint, compactDecrypt, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/**
 * The agent's own key pair (EC P-256, for JWE ECDH-ES): generated on first start and kept in the
 * state directory (0600). Only its public half is sent (`PUT /api/v1/agents/{id}/key`); private
 * keys in snapshots are sealed to it, so a leaked snapshot or token alone yields no key.
 */
export interface AgentKeyPair {
  publicJwk: { kty: "EC"; crv: "P-256"; x: string; y: string };
  /** RFC 7638 SHA-256 thumbprint: what the approval names. */
  thumbprint: string;
  /** Opens a compact JWE sealed to this key (a certificate's private key, PEM). */
  open(jwe: string): Promise<string>;
}

export async function loadOrCreateAgentKey(stateDir: string): Promise<AgentKeyPair> {
  const file = join(stateDir, "agent-key.json");
  let jwk = await readFile(file, "utf8").then((text) => JSON.parse(text) as JWK, () => null);
  if (jwk === null) {
    const { privateKey } = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
    jwk = await exportJWK(privateKey);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(jwk), { mode: 0o600 });
    await rename(temporary, file);
  }
  return agentKeyFromJwk(jwk);
}

export async function agentKeyFromJwk(jwk: JWK): Promise<AgentKeyPair> {
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.x || !jwk.y || !jwk.d) throw new Error("the agent key file is not an EC P-256 private key");
  const privateKey = await importJWK(jwk, "ECDH-ES");
  const publicJwk = { kty: "EC" as const, crv: "P-256" as const, x: jwk.x, y: jwk.y };
  return {
    publicJwk,
    thumbprint: await calculateJwkThumbprint(publicJwk, "sha256"),
    open: async (jwe) => new TextDecoder().decode((await compactDecrypt(jwe, privateKey, { keyManagementAlgorithms: ["ECDH-ES"] })).plaintext),
  };
}
