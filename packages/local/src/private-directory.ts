import { chmod, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Makes `directory` (and any missing parents) readable by its owner alone, 0700, whatever the
 * umask — mkdir's mode is narrowed by the umask and ignored for a directory that exists, so the
 * mode is set outright, which also tightens a directory an older version left at 0755.
 */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
}

/** Sets every regular file directly in `directory` to 0600 (files written before it was private). */
export async function tightenFiles(directory: string): Promise<void> {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.isFile()) await chmod(join(directory, entry.name), 0o600);
  }
}
