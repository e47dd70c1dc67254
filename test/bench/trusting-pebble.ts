/**
 * How the benchmarks that talk to Pebble run. Node reads NODE_EXTRA_CA_CERTS only at start-up, so
 * a benchmark runs twice: the first process starts the services (`start`, which pushes each onto
 * `started` so that all are stopped whatever happens), then runs the same script again trusting
 * Pebble's TLS CA, handing it what `start` returned in `variable`; that second process `measure`s.
 * The process exits with the measuring process's code.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { RunningService } from "@charon/local";

export function benchTrustingPebble<Services>(options: {
  variable: string;
  start: (started: RunningService[]) => Promise<{ services: Services; tlsRootFile: string }>;
  measure: (services: Services) => Promise<void>;
}): void {
  const passed = process.env[options.variable];
  (passed ? options.measure(JSON.parse(passed) as Services).then(() => 0) : orchestrate(options)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}

async function orchestrate<Services>({ variable, start }: Parameters<typeof benchTrustingPebble<Services>>[0]): Promise<number> {
  const started: RunningService[] = [];
  try {
    const { services, tlsRootFile } = await start(started);
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tlsRootFile, [variable]: JSON.stringify(services) },
      stdio: "inherit",
    });
    const stopChild = () => child.kill("SIGTERM");
    process.once("SIGINT", stopChild);
    process.once("SIGTERM", stopChild);
    const [code] = (await once(child, "exit")) as [number | null];
    return code ?? 1;
  } finally {
    await Promise.allSettled(started.map((service) => service.stop()));
  }
}
