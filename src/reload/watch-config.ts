import { watch } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { armTimer } from "../clock.ts";
import { fileBytes } from "./reloader.ts";

/**
 * `start --watch-config` (README, "Reload"): watches the config file's directory, not the file, so a
 * Kubernetes ConfigMap update is seen: there the file is a link into `..data/`, and `..data` itself is
 * a link swapped by rename to a new folder, which no watch on the old file would notice. Events come in
 * bursts (an editor's save, the swap's several renames): one reload follows a quiet `debounceMs`, and
 * none when the file's bytes are what they were at the last look. Returns the stop.
 */
export function watchConfig(file: string, reload: () => void, logger: Logger, debounceMs = 300): () => void {
  let seen = fileBytes(file);
  let timer: NodeJS.Timeout | undefined;
  const look = () => {
    timer = undefined;
    const now = fileBytes(file);
    if (!now || (seen && now.equals(seen))) return; // gone for a moment mid-swap, or unchanged
    seen = now;
    reload();
  };
  const watcher = watch(path.dirname(file), () => {
    clearTimeout(timer);
    timer = armTimer(look, debounceMs);
  });
  watcher.on("error", (err) => logger.error({ err, file }, "watching the config file's directory failed; reload with SIGHUP or POST /-/reload"));
  logger.info({ file, directory: path.dirname(file) }, "watching the config file for changes");
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
