import { open, readFile, readdir, rename, mkdir, unlink } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { Adapter } from "lowdb";

/** Bytes packed before each write of a chunked file. */
const WRITE_BUFFER_BYTES = 1 << 20;

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
    await this.removeStaleTemporaryFiles();
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

  /**
   * A crash in the middle of a write leaves its temporary file (`.<name>.<pid>.tmp`) behind: as large
   * as the state and holding the sealed tokens. They are removed when the state is read at start.
   */
  private async removeStaleTemporaryFiles(): Promise<void> {
    const dir = dirname(this.path);
    const prefix = `.${basename(this.path)}.`;
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith(".tmp")).map((n) => unlink(join(dir, n)).catch(() => undefined)));
  }

  async write(data: T): Promise<void> {
    await this.writeChunks([JSON.stringify(data)]);
  }

  /**
   * Writes a JSON text given in pieces (their concatenation) the same way: the pieces are packed into
   * one reused buffer that is written whenever it fills, so a big file costs no big string or copy, and
   * a piece is made only when the previous buffer is on its way. Returns the bytes written.
   */
  async writeChunks(pieces: Iterable<string>): Promise<number> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.tmp`);
    const file = await open(tmp, "w", 0o600);
    let bytes = 0;
    try {
      const buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
      let used = 0;
      for (const piece of pieces) {
        // write() stops before a character that does not fit: leave room for the worst case.
        if (used > 0 && used + piece.length * 3 > buffer.length) {
          await file.writeFile(buffer.subarray(0, used));
          bytes += used;
          used = 0;
        }
        if (piece.length * 3 > buffer.length) {
          const big = Buffer.from(piece, "utf8");
          await file.writeFile(big);
          bytes += big.length;
        } else used += buffer.write(piece, used);
      }
      // writeFile on an open handle writes all of it at the current position.
      if (used > 0) await file.writeFile(buffer.subarray(0, used));
      bytes += used;
      await file.sync();
    } catch (err) {
      await file.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await file.close();
    await rename(tmp, this.path);
    return bytes;
  }
}
