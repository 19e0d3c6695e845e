/**
 * The `result` of each Bot API method the checks call, validated against its Bot API type (wire.ts)
 * before anything reads it. A result of the wrong shape came from something that is not the Bot API
 * (or a Bot API we do not understand): it says nothing about the bot, so it becomes `unknown` with a
 * message naming the field, e.g. "result.is_enabled is a string, expected a boolean".
 */
import type { z } from "zod";
import { wireBusinessConnection, wireMessage, wireStarAmount, wireTrue, wireUser, wireWebhookInfo } from "./wire.ts";

/** One schema per method; methods not listed here (getUpdates, used by doctor) are passed on unread. */
const RESULTS: Readonly<Record<string, z.ZodType>> = {
  getMe: wireUser,
  getBusinessConnection: wireBusinessConnection,
  getWebhookInfo: wireWebhookInfo,
  getBusinessAccountStarBalance: wireStarAmount,
  sendChatAction: wireTrue,
  sendMessage: wireMessage,
  deleteBusinessMessages: wireTrue,
};

/** At most this many wrong fields are named in one message. */
const MAX_NAMED = 3;

/** Undefined when `result` has the shape `method` returns; otherwise what is wrong with it. */
export function resultProblem(method: string, result: unknown): string | undefined {
  const schema = RESULTS[method];
  if (!schema) return undefined;
  const parsed = schema.safeParse(result, { reportInput: true });
  if (parsed.success) return undefined;
  const named = parsed.error.issues.slice(0, MAX_NAMED).map(describeIssue);
  const more = parsed.error.issues.length - named.length;
  return named.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = ["result", ...issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))].join("");
  const found = !("input" in issue) || issue.input === undefined ? "is missing" : `is ${kind(issue.input)}`;
  if (issue.code === "invalid_type") return `${where} ${found}, expected ${article(issue.expected === "int" ? "integer" : issue.expected)}`;
  if (issue.code === "invalid_value") return `${where} ${found}, expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
  return `${where}: ${issue.message}`;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? `the number ${value}` : `the fraction ${value}`;
  return article(typeof value);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}
