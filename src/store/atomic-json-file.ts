import { open, readFile, rename, mkdir, unlink } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { Adapter } from "lowdb";

/**
 * A lowdb adapter that never leaves a half-written state file: each write goes to a temporary
 * file created with mode 0600 (the state holds encrypted tokens and alert state), is fsynced,
 * then renamed over the old file, which is atomic on POSIX file systems. A crash at any point
 * leaves either the old or the new file, both whole.
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  private readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new Error(`state file ${this.path}: cannot read (${(err as Error).message})`, { cause: err });
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(
        `state file ${this.path}: not valid JSON (${(err as Error).message}); move it aside to start with an empty state`,
        { cause: err },
      );
    }
  }

  async write(data: T): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.tmp`);
    const file = await open(tmp, "w", 0o600);
    try {
      await file.writeFile(JSON.stringify(data));
      await file.sync();
    } catch (err) {
      await file.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await file.close();
    await rename(tmp, this.path);
  }
}
