export { startDynamoDbLocal } from "./dynamodb-local.js";
export { ensurePrivateDirectory } from "./private-directory.js";
export { freePort, startProcess, answersHttp, type RunningService } from "./process.js";
export * from "./secret-store/index.js";
export * from "./queue/index.js";
export { LocalKeySealer } from "./key-sealer.js";
