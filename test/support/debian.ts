import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Real tools in tests come from Debian's packages. A fresh machine may not have them yet, so the
 * test set-up installs what is missing (root, as on this project's machines and CI). Runs once
 * per package per process; apt-get's own lock serializes concurrent test files.
 */
const installed = new Set<string>();

export function ensureDebianPackage(pkg: string, binary: string): string {
  if (existsSync(binary) || installed.has(pkg)) return binary;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "--no-install-recommends", pkg], { env, stdio: "pipe", timeout: 300_000 });
  } catch {
    // The package lists may be missing or stale on a fresh machine.
    execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=300", "update", "-qq"], { env, stdio: "pipe", timeout: 300_000 });
    execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "--no-install-recommends", pkg], { env, stdio: "pipe", timeout: 300_000 });
  }
  installed.add(pkg);
  if (!existsSync(binary)) throw new Error(`installed Debian package ${pkg}, but ${binary} is still missing`);
  return binary;
}
