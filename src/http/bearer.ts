import type { Request } from "express";

/**
 * The token of an `Authorization: Bearer <token>` header, or "" for none. The scheme is matched without
 * regard to case, as HTTP's authentication schemes are (RFC 9110 §11.1): clients that send `bearer` are
 * not refused.
 */
export function bearerToken(req: Request): string {
  const header = req.headers.authorization ?? "";
  return /^bearer /i.test(header) ? header.slice(7) : "";
}
