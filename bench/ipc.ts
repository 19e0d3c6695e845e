/** What the bench's driver processes read from their children over IPC. */
import type { ChildProcess } from "node:child_process";

/** The first message carrying `key`; rejected when the child exits before sending one. */
export function nextMessage<T>(proc: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (m && typeof m === "object" && key in m) {
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        resolve((m as Record<string, T>)[key]!);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`${String(proc.spawnargs.find((a) => a.endsWith(".ts")))} exited (${code ?? signal}) before sending ${key}`));
    proc.on("message", onMessage);
    proc.once("exit", onExit);
  });
}
