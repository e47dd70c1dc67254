import type { Permission, Platform } from "./platform.js";

/**
 * The IAM statements a function is given, one helper per resource, so that each function lists
 * exactly what it touches. `stacks/stacks.test.ts` checks them against the SDK commands each
 * function's bundle holds, and against the environment that names the same resources.
 */

/**
 * Item reads and writes on the table and its indexes. Transactions need no action of their own:
 * each of their parts is checked as PutItem, UpdateItem, DeleteItem or ConditionCheckItem
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 */
export function tableAccess(platform: Platform, table: { arn: unknown }, access: "read" | "write"): Permission {
  const read = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"];
  const write = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"];
  return {
    actions: access === "read" ? read : [...read, ...write],
    resources: [table.arn, platform.interpolate`${table.arn}/index/*`],
  };
}

/** Secrets Manager actions on the stage's secrets only (`charon/<stage>/…`). */
export function secretsAccess(secretsPrefix: string, actions: Array<"CreateSecret" | "GetSecretValue" | "DeleteSecret">): Permission {
  return {
    actions: actions.map((action) => `secretsmanager:${action}`),
    resources: [`arn:aws:secretsmanager:*:*:secret:${secretsPrefix}*`],
  };
}

/**
 * ListSecrets has no resource-level permission (it is granted on `*` or not at all); the sweep
 * filters by the stage's prefix itself and can delete only under it (`secretsAccess`).
 */
export const listSecrets: Permission = { actions: ["secretsmanager:ListSecrets"], resources: ["*"] };

/** Sending work (`certificate.advance`, possibly delayed). SST grants the subscriber its receive side. */
export function queueSend(queue: { arn: unknown }): Permission {
  return { actions: ["sqs:SendMessage"], resources: [queue.arn] };
}

/**
 * The key sealer's KMS calls: data keys to seal with (GenerateDataKey) and opening sealed keys
 * (Decrypt), on the stage's key only.
 */
export function keyUse(key: { arn: unknown }, actions: Array<"GenerateDataKey" | "Decrypt">): Permission {
  return { actions: actions.map((action) => `kms:${action}`), resources: [key.arn] };
}
