/**
 * Fills a small disk of its own (read-only-disk.ts's tmpfs) to the last block with one file, so every
 * write that needs a new block fails with ENOSPC, and frees it again. A real full disk: the kernel
 * refuses the blocks, no process is told to pretend.
 */
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface Filler {
  /** Bytes the filler took: all that was free. */
  bytes: number;
  /** Removes the filler: the space is free again. */
  free(): void;
}

/** Writes `<dir>/<name>` until the disk refuses, in 1 MiB and then 4 KiB pieces (tmpfs pages). */
export function fillDisk(dir: string, name = "filler"): Filler {
  const path = join(dir, name);
  const fd = openSync(path, "w");
  let bytes = 0;
  try {
    for (const size of [1 << 20, 4096]) {
      const piece = Buffer.alloc(size, 0xa5);
      for (;;) {
        try {
          bytes += writeSync(fd, piece);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, free: () => rmSync(path, { force: true }) };
}
