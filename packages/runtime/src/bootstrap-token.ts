/**
 * `npm run bootstrap-token -- --stage <stage>`: the first full-access API token of a deployed
 * stage, for the operator who holds the stage's AWS credentials. Every API request needs a token
 * and tokens are otherwise made only through the API, so a fresh deployment needs this once.
 *
 * Writes the token straight into the stage's table with those credentials (the SDK's usual chain:
 * AWS_PROFILE, AWS_REGION, …), audited as `api_token_created` by `bootstrap-token (<os user>)`, and
 * prints its value once on stdout (everything else goes to stderr), so
 * `TOKEN=$(npm run -s bootstrap-token -- --stage production)` works. Only its hash is stored. Run
 * again, it makes another token: revoke the old one through the API.
 *
 * The table is found by SST's naming (`charon-<stage>-Table…`, see stacks/storage.ts), or named
 * with `--table` (the `table` output of `sst deploy`).
 */
import { parseArgs } from "node:util";
import { userInfo } from "node:os";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DynamoApiTokenRepository, createDynamoTable } from "@charon/aws";
import { TokenService, systemClock, type IssuedToken } from "@charon/core";

/** The app name of sst.config.ts: SST prefixes every physical name with `<app>-<stage>-`. */
const APP = "charon";

/**
 * The stage's table among the account's tables in the client's region: the one name starting
 * with `charon-<stage>-Table`. Throws when there is none or more than one, saying what to do.
 */
async function findStageTable(client: DynamoDBClient, stage: string): Promise<string> {
  const prefix = `${APP}-${stage}-Table`;
  const found: string[] = [];
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    found.push(...(page.TableNames ?? []).filter((name) => name.startsWith(prefix)));
    start = page.LastEvaluatedTableName;
  } while (start);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new Error(
      `No table named ${prefix}… in this account and region: deploy the stage first (npx sst deploy --stage ${stage}), check AWS_REGION, or pass --table`,
    );
  }
  throw new Error(`More than one table matches ${prefix}…: ${found.join(", ")}; pass --table`);
}

/** Creates a full-access token named `name` in `tableName`, audited as made by `by`. */
async function issueBootstrapToken(tableName: string, name: string, by: string): Promise<IssuedToken> {
  const table = createDynamoTable(tableName);
  const tokens = new TokenService(new DynamoApiTokenRepository(table), systemClock);
  // The operator's AWS credentials are the authority here: they could write the table anyway.
  const operator = { tokenId: 0, name: by, permission: "full" as const, scopes: {} };
  return tokens.create(operator, { user: by, ipAddress: null, via: "bootstrap-token" }, {
    name,
    permission: "full",
    scopes: {},
    expiresAt: null,
  });
}

const USAGE = `Usage: npm run -s bootstrap-token -- (--stage <stage> | --table <table name>) [--name <token name>]

Creates a full-access API token in a deployed stage's DynamoDB table, with your AWS credentials
(AWS_PROFILE, AWS_REGION, ...), and prints its value once on stdout; messages go to stderr.

  --stage <stage>   the stage given to sst deploy; its table is found as charon-<stage>-Table...
  --table <name>    the table itself (the "table" output of sst deploy), instead of --stage
  --name <name>     the token's name (default: bootstrap)
  -h, --help        this text

Example: TOKEN=$(npm run -s bootstrap-token -- --stage production)
Revoke the token once you have made scoped ones: DELETE /api/v1/tokens/{id}.
`;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        stage: { type: "string" },
        table: { type: "string" },
        name: { type: "string", default: "bootstrap" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    // parseArgs names the unknown option or the missing value; the usage says what there is.
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.stage && !values.table) {
    throw new Error(`Say which deployment: --stage <stage> (as given to sst deploy) or --table <table name>\n\n${USAGE}`);
  }
  const tableName = values.table ?? (await findStageTable(new DynamoDBClient({}), values.stage!));
  const by = `bootstrap-token (${userInfo().username})`;
  const { token, value } = await issueBootstrapToken(tableName, values.name, by);
  process.stderr.write(
    `Created full-access token ${token.id} '${token.name}' in ${tableName}. Its value is shown once:\n`,
  );
  process.stdout.write(`${value}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bootstrap-token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
