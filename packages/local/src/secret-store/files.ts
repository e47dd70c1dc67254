import { randomUUID } from "node:crypto";
import { link, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Only the owner may read what this store writes. */
export const FILE_MODE = 0o600;

/**
 * Writes `content` to `path` only if nothing is there, atomically: readers see no file or the
 * whole file. The content goes to a temporary file first and is then hard-linked into place,
 * and link(2) fails with EEXIST when the name is taken, even when two writers race.
 * Returns false when the path already existed.
 */
export async function writeNewFile(path: string, content: string): Promise<boolean> {
  const temporary = await writeTemporary(path, content);
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncDirectory(dirname(path));
  return true;
}

/** Replaces `path` with `content` atomically (rename over it), so a crash leaves old or new. */
export async function replaceFile(path: string, content: string): Promise<void> {
  const temporary = await writeTemporary(path, content);
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** The file's text, or undefined when there is no such file. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Temporary names start with a dot, so listing skips them. */
export function isTemporary(fileName: string): boolean {
  return fileName.startsWith(".");
}

async function writeTemporary(path: string, content: string): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  const handle = await open(temporary, "wx", FILE_MODE);
  try {
    // The mode given to open is narrowed by the umask; set it outright.
    await handle.chmod(FILE_MODE);
    await handle.writeFile(content);
    // On disk before it becomes visible under the real name.
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return temporary;
}

/** Makes a new or renamed directory entry survive a crash. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
