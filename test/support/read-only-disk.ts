/**
 * A small disk of its own that a test can turn read-only and back: a tmpfs mounted on a temporary
 * directory and remounted `ro`/`rw`. Root (as on this project's machines and CI) is needed to mount;
 * a read-only directory made with chmod would not stop a process running as root.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ReadOnlyDisk {
  /** Where the disk is mounted. */
  dir: string;
  /** Remounts read-only: every write there fails with EROFS. No process may have a file open for writing. */
  readOnly(): void;
  writable(): void;
  /** Unmounts and removes the mount point. */
  close(): void;
}

export function mountTmpfs(sizeMb = 16): ReadOnlyDisk {
  const dir = mkdtempSync(join(tmpdir(), "secretary-watch-disk-"));
  const mount = (...args: string[]) => execFileSync("mount", args, { stdio: "pipe" });
  try {
    mount("-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0700`, "tmpfs", dir);
  } catch (err) {
    rmdirSync(dir);
    throw new Error(`cannot mount a tmpfs on ${dir} (this test needs root): ${(err as Error).message}`, { cause: err });
  }
  return {
    dir,
    readOnly: () => mount("-o", "remount,ro", dir),
    writable: () => mount("-o", "remount,rw", dir),
    close() {
      execFileSync("umount", [dir], { stdio: "pipe" });
      rmdirSync(dir);
    },
  };
}
