import { access, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capture, ensurePythonTool } from "./moto.js";

/**
 * Pinned like moto: the same version generates the same requests for the same seed on every
 * machine; bump it deliberately (the next run reinstalls into the same virtual environment).
 */
export const SCHEMATHESIS_VERSION = "4.32.5";

export interface SchemathesisRun {
  /** The OpenAPI document's URL on the running server; the base URL is taken from it. */
  schemaUrl: string;
  /** Sent as `Authorization: Bearer …` with every request. */
  token: string;
  /** Fixed, so a failure in CI is the same failure on a laptop. */
  seed: number;
  /** The whole run's time budget (schemathesis's `--max-time`), in seconds. */
  maxTimeSeconds: number;
  /** Checks to run (schemathesis's names, e.g. `not_a_server_error`). */
  checks: readonly string[];
  /** Operations left out, as `METHOD /path` (schemathesis's `--exclude-name`). */
  excludeOperations?: readonly string[];
  /**
   * Statuses `positive_data_acceptance` accepts for a request valid by the document: a reason of
   * state (404: the id names nothing; 409: the name is taken) is not a refusal of valid input.
   */
  acceptedStatuses: readonly string[];
  /**
   * Failures accepted for now (schemathesis's `--baseline`): operation, check and status, each with
   * a `reason`. A failure not in it fails the run. The file must exist: schemathesis would
   * otherwise create it from the run and accept everything it found.
   */
  baseline: string;
}

export interface SchemathesisResult {
  passed: boolean;
  /** Schemathesis's own report: failures with their reproducing curl commands, then the summary. */
  report: string;
}

/** Longest report line kept: generated URLs and bodies can run to many kilobytes. */
const MAX_LINE = 400;
/** Lines of the report kept, from its end (the failures come before the summary). */
const MAX_LINES = 400;

/**
 * Runs schemathesis (installed once into `.test-env/schemathesis-venv`) against a running server
 * and returns its report, trimmed to a readable size. One worker: with two, hypothesis parses
 * lambdas' source in two threads at once, and CPython 3.11.7 (these machines' python3) can fail
 * that with "AST constructor recursion depth mismatch" (CPython gh-106905), a red run that says
 * nothing about the API.
 */
export async function runSchemathesis(run: SchemathesisRun): Promise<SchemathesisResult> {
  const bin = await ensurePythonTool({
    venv: "schemathesis-venv",
    distribution: "schemathesis",
    requirement: "schemathesis",
    version: SCHEMATHESIS_VERSION,
  });
  await access(run.baseline);
  const directory = await mkdtemp(join(tmpdir(), "charon-schemathesis-"));
  const config = join(directory, "schemathesis.toml");
  await writeFile(
    config,
    [
      "[checks.positive_data_acceptance]",
      `expected-statuses = [${run.acceptedStatuses.map((status) => JSON.stringify(status)).join(", ")}]`,
      // Node refuses a request line or headers past its size limit with 431 (documented) before the
      // API sees it: a refusal of negative data like any 4xx the check knows.
      "[checks.negative_data_rejection]",
      'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "431"]',
      "",
    ].join("\n"),
  );
  const args = [
    "--config-file",
    config,
    "run",
    run.schemaUrl,
    "--header",
    `Authorization: Bearer ${run.token}`,
    "--checks",
    run.checks.join(","),
    "--phases",
    "examples,coverage,fuzzing",
    "--workers",
    "1",
    "--max-time",
    String(run.maxTimeSeconds),
    "--seed",
    String(run.seed),
    "--generation-database",
    "none",
    "--no-color",
    "--baseline",
    run.baseline,
    ...(run.excludeOperations ?? []).flatMap((name) => ["--exclude-name", name]),
  ];
  const result = await capture(join(bin, "st"), args, {
    cwd: directory,
    env: { ...process.env, SCHEMATHESIS_REPORTS_DIR: directory },
    keep: 200_000,
  });
  return { passed: result.code === 0, report: trimmed(result.output) };
}

function trimmed(output: string): string {
  const lines = output.split("\n").map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)} …[${line.length - MAX_LINE} more]` : line));
  return (lines.length > MAX_LINES ? ["…", ...lines.slice(-MAX_LINES)] : lines).join("\n");
}
