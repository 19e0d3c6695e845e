/**
 * Fuzzed HTTP requests for the abuse test (test/faults/http-abuse.test.ts), generated with fast-check
 * from the service's real route list: every route crossed with every method, mutated paths, query
 * strings, headers, bodies, encodings and credentials. A request is either `http` (sent with node:http
 * over keep-alive connections) or `raw` (bytes on a socket of its own: framing node:http refuses to send).
 */
import { brotliCompressSync, gzipSync } from "node:zlib";
import fc from "fast-check";

/** A route as Express lists it: `GET /status/bots/:name/history`. */
export interface Route {
  method: string;
  path: string;
}

/** Who the fuzzer can be: the valid credentials are mixed in so requests reach the handlers. */
export interface Credentials {
  adminToken: string;
  namedToken: string;
  user: string;
  password: string;
  metricsToken: string;
  /** Real bot names (the victims of PATCH and DELETE); the legitimate checks use others. */
  bots: string[];
}

export type FuzzRequest =
  | { kind: "http"; method: string; path: string; headers: Record<string, string>; body?: Buffer; chunked?: boolean }
  | { kind: "raw"; bytes: Buffer; what: string };

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "SEARCH", "QUERY"];
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A path parameter: a real name, junk, or one of the classic traps, percent-encoded or not. */
function segment(c: Credentials): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...c.bots, "30d", "7d", "90d", "1y", "anna") },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }).map((s) => encodeURIComponent(s).replace(/%25/g, "%")) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "..", "%2e%2e", "%252e%252e", "..%2F..%2Fetc%2Fpasswd", "%252F", "%00", "a%00b", "%ZZ", "%", "%e0%80%80", "%c0%af", "%ff%fe",
        "__proto__", "constructor", "prototype", "hasOwnProperty", "a".repeat(5000), "é", "%F0%9F%A4%96", "bot-0%2Fhistory", "~", "*", ";x=1", "",
      ),
    },
  );
}

/** A route's path with its parameters filled, then mutated the way scanners do. */
function pathOf(routes: readonly Route[], c: Credentials): fc.Arbitrary<{ method: string; path: string }> {
  const filled = fc.tuple(fc.constantFrom(...routes), fc.array(segment(c), { minLength: 4, maxLength: 4 })).map(([r, segs]) => {
    let i = 0;
    return { method: r.method, path: r.path.replace(/:(\w+)/g, () => segs[i++ % segs.length]!) };
  });
  const mutations = fc.constantFrom<(p: string) => string>(
    (p) => `${p}/`,
    (p) => p.replace(/\//g, "//"),
    (p) => p.toUpperCase(),
    (p) => `/..${p}`,
    (p) => p.replace(/\//g, "%2F"),
    (p) => p.replace(/\//g, "%252F"),
    (p) => `${p}/${"x".repeat(20_000)}`,
    (p) => `${p}%00`,
    (p) => `${p}/%C3%A9%E2%80%AE`,
    (p) => `${p};jsessionid=1`,
    (p) => `${p}#frag`,
    (p) => p.replace(/^\//, "/./"),
  );
  // Half the paths are the route itself, so the requests get past the router to the handlers.
  const mutate = fc.oneof({ weight: 14, arbitrary: fc.constant((p: string) => p) }, { weight: 14, arbitrary: mutations });
  const query = fc.oneof(
    { weight: 3, arbitrary: fc.constant("") },
    {
      weight: 3,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.constantFrom("from", "to", "limit", "bot", "channel", "result", "verify", "q", "refresh", "window", "__proto__", "constructor", "a[b]", "x", ""),
            fc.oneof(
              fc.constantFrom("2026-12-01", "2026-12-01T00:00:00Z", "0", "-1", "1000", "1001", "1e309", "true", "1", "NaN", "%ZZ", "a".repeat(3000), "[]", "sent", "9999-99-99"),
              fc.string({ maxLength: 20 }).map(encodeURIComponent),
            ),
          ),
          { maxLength: 5 },
        )
        .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`),
    },
    { weight: 1, arbitrary: fc.constantFrom("?", "??", "?&&&", "?from&from&from", "?limit=1&limit=2", `?${"a=1&".repeat(2000)}`, "?%", "?=x") },
  );
  return fc.tuple(filled, mutate, fc.oneof({ weight: 2, arbitrary: fc.constant("same") }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }), query).map(([r, m, method, q]) => ({
    method: method === "same" ? r.method : method,
    path: m(r.path) + q,
  }));
}

function authorization(c: Credentials): fc.Arbitrary<string | undefined> {
  return fc.constantFrom(
    `Bearer ${c.adminToken}`, `Bearer ${c.adminToken}`, `Bearer ${c.namedToken}`, `Bearer ${c.metricsToken}`,
    `Basic ${b64(`${c.user}:${c.password}`)}`, `Basic ${b64(`${c.user}:${c.password}`)}`, `Basic ${b64(`${c.user}:${c.password}`)}`,
    undefined, undefined, "Bearer wrong-token", "Bearer ", "Bearer", "bearer " + c.adminToken, `Bearer ${c.adminToken} `, `Bearer ${"A".repeat(8000)}`,
    `Basic ${b64(`${c.user}:wrong`)}`, `Basic ${b64(`nobody:${c.password}`)}`, "Basic !!!not-base64!!!", `Basic ${b64("no-colon")}`, "Basic ", `Basic ${b64(":")}`,
    `Basic ${b64(`${c.user}:${"p".repeat(5000)}`)}`, `Basic ${b64("\u0000:\u0000")}`, 'Digest username="admin", realm="x", nonce="1", response="2"',
    "Negotiate YIIBhQYGKwYBBQUCoIIBeTCCAXWgDTALBgkqhkiG9xIBAgI=", "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==",
    "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request", "Token abc", "Bearer\tx", `Basic ${b64(`${c.user}:${c.password}`)}, Bearer x`,
  );
}

/** Bodies: valid-looking JSON with one field wrong, broken JSON, deep nesting, huge arrays, junk. */
function body(): fc.Arbitrary<Buffer | undefined> {
  const wrong = fc.oneof(
    fc.constantFrom(null, true, false, 0, -1, 1e308, "", "x".repeat(70_000).slice(0, 600), [], {}, [1, 2], { $gt: "" }, "2026-13-45T99:99:99Z", "99999999d", "0s", "-1h"),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const fields = ["name", "token", "username", "botId", "owner", "businessConnectionId", "probeChats", "labels", "checks", "id", "matchers", "startsAt", "endsAt", "duration", "reason", "createdBy", "__proto__", "constructor", "extra"];
  const template = fc.record({
    name: fc.constantFrom("fuzz-a", "fuzz-b", "fuzz-c", "bot-1"),
    token: fc.constantFrom("123:fuzz", "7100001:healthy-1-Qa1"),
    username: fc.constant("fuzz_bot"),
    owner: fc.constant({ id: 1 }),
    reason: fc.constant("fuzz"),
    duration: fc.constant("1h"),
    id: fc.constant("bc-fuzz"),
  });
  const oneWrong = fc.tuple(template, fc.constantFrom(...fields), wrong, fc.boolean()).map(([t, field, value, drop]) => {
    const o: Record<string, unknown> = { ...t };
    if (drop) delete o[field];
    else Object.defineProperty(o, field, { value, enumerable: true, writable: true, configurable: true });
    return Buffer.from(JSON.stringify(o));
  });
  const deep = (n: number) => Buffer.from("[".repeat(n) + "]".repeat(n));
  const deepObject = (n: number) => Buffer.from('{"a":'.repeat(n) + "1" + "}".repeat(n));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: oneWrong },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? "null")) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        Buffer.from("{"), Buffer.from("{'a':1}"), Buffer.from('{"a":1,}'), Buffer.from("null"), Buffer.from('"x"'), Buffer.from("NaN"), Buffer.from("\u0000\u0001\u00ff"),
        Buffer.from([0xff, 0xfe, 0x7b, 0x00]), Buffer.from('{"a":"\\ud800"}'), Buffer.from("[1e99999]"), deep(20_000), deepObject(5_000), deep(100),
        Buffer.from(`[${"1,".repeat(30_000)}1]`), Buffer.from(`{"probeChats":[${"1,".repeat(30_000)}1]}`), Buffer.from(`{${Array.from({ length: 4000 }, (_, i) => `"k${i}":1`).join(",")}}`),
        Buffer.from("x".repeat(200_000)), Buffer.from('{"__proto__":{"polluted":true}}'), Buffer.from('{"constructor":{"prototype":{"polluted":true}}}'),
      ),
    },
  );
}

/** Content-Type, Content-Encoding (a claim, or the real thing with garbage or a bomb inside), cookies and friends. */
function headers(c: Credentials): fc.Arbitrary<{ headers: Record<string, string>; encode?: "gzip" | "br" | "bomb" }> {
  return fc
    .record({
      auth: authorization(c),
      type: fc.constantFrom(undefined, "application/json", "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/json; charset=koi8-r", "application/json; charset=nope", "*/*", ";;;", "application/merge-patch+json"),
      encoding: fc.constantFrom(undefined, undefined, undefined, "gzip", "br", "deflate", "x-unknown", "gzip, br", "identity", "real-gzip", "real-br", "bomb"),
      accept: fc.constantFrom(undefined, "text/html", "application/json", "*/*", "image/svg+xml", "text/html;q=0.1, application/json;q=0.9", "garbage/"),
      cookie: fc.constantFrom(undefined, undefined, `session=${"c".repeat(12_000)}`, "a=b; ".repeat(500)),
      extra: fc.constantFrom<Record<string, string>>({}, {}, { "x-forwarded-for": "1.2.3.4, ::1, garbage" }, { range: "bytes=0-10,5-1" }, { "if-none-match": "*" }, { expect: "100-continue" }, { "accept-encoding": "br, gzip" }, { "x-http-method-override": "DELETE" }, { origin: "https://evil.example" }),
    })
    .map(({ auth, type, encoding, accept, cookie, extra }) => {
      const h: Record<string, string> = { ...extra };
      if (auth !== undefined) h.authorization = auth;
      if (type !== undefined) h["content-type"] = type;
      if (accept !== undefined) h.accept = accept;
      if (cookie !== undefined) h.cookie = cookie;
      let encode: "gzip" | "br" | "bomb" | undefined;
      if (encoding === "real-gzip" || encoding === "real-br" || encoding === "bomb") {
        encode = encoding === "real-gzip" ? "gzip" : encoding === "real-br" ? "br" : "bomb";
        h["content-encoding"] = encode === "br" ? "br" : "gzip";
      } else if (encoding !== undefined) h["content-encoding"] = encoding;
      return encode ? { headers: h, encode } : { headers: h };
    });
}

/** A gzip bomb: 5 MB of zeros in ~5 KB (80 times the admin API's 64 KiB limit). Made once. */
let bomb: Buffer | undefined;
const encoded = (how: "gzip" | "br" | "bomb", b: Buffer) => (how === "gzip" ? gzipSync(b) : how === "br" ? brotliCompressSync(b) : (bomb ??= gzipSync(Buffer.alloc(5 * 1024 * 1024))));

function httpRequest(routes: readonly Route[], c: Credentials): fc.Arbitrary<FuzzRequest> {
  return fc.tuple(pathOf(routes, c), headers(c), body(), fc.boolean()).map(([{ method, path }, { headers: h, encode }, b, chunked]) => {
    const sent = b === undefined || method === "GET" || method === "HEAD" ? (encode ? Buffer.from("{}") : undefined) : b;
    const bytes = sent && encode ? encoded(encode, sent) : sent;
    return { kind: "http", method, path, headers: h, ...(bytes && { body: bytes }), ...(bytes && chunked && { chunked: true }) };
  });
}

/** Framing node:http will not send: broken request lines, lengths, chunking, header syntax. */
function rawRequest(routes: readonly Route[], c: Credentials): fc.Arbitrary<FuzzRequest> {
  const auth = `Authorization: Bearer ${c.adminToken}\r\n`;
  const target = fc.constantFrom(...routes).map((r) => r.path.replace(/:(\w+)/g, c.bots[0] ?? "x"));
  const cases: Array<[string, (path: string) => string | Buffer]> = [
    ["NUL in the path", (p) => `GET ${p}\u0000x HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["raw UTF-8 in the path", (p) => Buffer.from(`GET ${p}/é🤖 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
    ["space in the path", (p) => `GET ${p} x HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["no version", (p) => `GET ${p}\r\n\r\n`],
    ["HTTP/0.9", (p) => `GET ${p} HTTP/0.9\r\n\r\n`],
    ["HTTP/2.0 line", (p) => `GET ${p} HTTP/2.0\r\nHost: x\r\n\r\n`],
    ["HTTP/1.0", (p) => `GET ${p} HTTP/1.0\r\n\r\n`],
    ["unknown method", (p) => `FROB ${p} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["huge method", (p) => `${"G".repeat(10_000)} ${p} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["absolute URI", (p) => `GET http://evil.example${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    ["CONNECT", () => `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`],
    ["asterisk target", () => `OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    ["no Host", (p) => `GET ${p} HTTP/1.1\r\nConnection: close\r\n\r\n`],
    ["two Hosts", (p) => `GET ${p} HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n`],
    ["header without colon", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n`],
    ["obs-fold", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n`],
    ["bare LF", (p) => `GET ${p} HTTP/1.1\nHost: x\n\n`],
    ["NUL in a header", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n`],
    ["CR in a header", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n`],
    ["Content-Length not a number", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: abc\r\n\r\n{}`],
    ["negative Content-Length", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: -1\r\n\r\n{}`],
    ["two Content-Lengths", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`],
    ["Content-Length larger than the body", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{}`],
    ["Content-Length smaller than the body", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 1\r\n\r\n{"a":1}`],
    ["Content-Length 2^64", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 18446744073709551617\r\n\r\n{}`],
    ["Content-Length and chunked", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ["chunk size not hex", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ["chunk size 2^68", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n{}\r\n`],
    ["chunk longer than its size", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n`],
    ["chunked, then gzip", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`],
    ["Transfer-Encoding unknown", (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: frob\r\n\r\n`],
    ["garbage bytes", () => Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])],
    ["HTTP/2 preface", () => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    ["pipelined five", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(4) + `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    ["request cut after headers begin", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A:`],
    ["20 KiB header", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20 * 1024)}\r\n\r\n`],
    ["2,000 headers", (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n${"X-A: 1\r\n".repeat(2000)}\r\n`],
  ];
  return fc.tuple(fc.constantFrom(...cases), target).map(([[what, make], path]) => {
    const bytes = make(path);
    return { kind: "raw", what, bytes: typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes };
  });
}

/** `count` requests, 1 in 10 raw, reproducible from `seed`. Yields in batches, so 100,000 are never held at once. */
export function* fuzzRequests(routes: readonly Route[], c: Credentials, count: number, seed: number): Generator<FuzzRequest> {
  const arb = fc.oneof({ weight: 9, arbitrary: httpRequest(routes, c) }, { weight: 1, arbitrary: rawRequest(routes, c) });
  const batch = 1000;
  for (let done = 0; done < count; done += batch) yield* fc.sample(arb, { numRuns: Math.min(batch, count - done), seed: seed + done });
}

/** One line naming a request, for the list of 5xx answers. */
export function describeRequest(r: FuzzRequest): string {
  if (r.kind === "raw") return `raw (${r.what}): ${JSON.stringify(r.bytes.subarray(0, 200).toString("latin1"))}`;
  const h = Object.entries(r.headers).map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v}`);
  const b = r.body ? ` body(${r.body.length}${r.chunked ? ", chunked" : ""}): ${JSON.stringify(r.body.subarray(0, 120).toString("latin1"))}` : "";
  return `${r.method} ${r.path.length > 200 ? `${r.path.slice(0, 200)}…(${r.path.length})` : r.path} [${h.join("; ")}]${b}`;
}
