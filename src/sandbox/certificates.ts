/**
 * X.509 certificates made in process for the sandbox's webhook endpoints (and the tests' TLS servers):
 * an ECDSA P-256 key and a certificate for given names, valid for given dates, self-signed or signed by
 * a CA made here. Node can sign but not write certificates, and no dependency of the project does; the
 * DER below is the few structures of RFC 5280 such a certificate needs, nothing more.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";

export interface CertificateRequest {
  /** The subject's common name; also the first subject alternative name unless `names` is given. */
  commonName: string;
  /** Subject alternative names: DNS names, or IP addresses (IPv4 or IPv6). */
  names?: readonly string[];
  notBefore: Date;
  notAfter: Date;
  /** The CA that signs it; absent: self-signed. */
  issuer?: Certificate;
  /** A CA certificate (basicConstraints cA), able to sign others. */
  isCa?: boolean;
}

export interface Certificate {
  /** PEM "CERTIFICATE". */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  commonName: string;
}

export function makeCertificate(req: CertificateRequest): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const signer = req.issuer ? createPrivateKey(req.issuer.key) : privateKey;
  const issuerName = name(req.issuer?.commonName ?? req.commonName);
  const serial = randomBytes(16);
  const extensions = [
    extension(OID.subjectAltName, seq(...(req.names ?? [req.commonName]).map(generalName))),
    ...(req.isCa ? [extension(OID.basicConstraints, seq(tlv(0x01, Buffer.from([0xff]))), true)] : []),
  ];
  const tbs = seq(
    tlv(0xa0, derInteger(Buffer.from([2]))), // v3
    derInteger(serial),
    ECDSA_SHA256,
    issuerName,
    seq(time(req.notBefore), time(req.notAfter)),
    name(req.commonName),
    publicKey.export({ type: "spki", format: "der" }),
    tlv(0xa3, seq(...extensions)),
  );
  const der = seq(tbs, ECDSA_SHA256, bitString(sign("sha256", tbs, signer)));
  return { cert: pem("CERTIFICATE", der), key: keyPem(privateKey), commonName: req.commonName };
}

/** The days from now as a Date: `daysFromNow(-1)` is yesterday at this time. */
export const daysFromNow = (days: number, now = Date.now()): Date => new Date(now + days * 86_400_000);

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
} as const;
const ECDSA_SHA256 = seq(oid(OID.ecdsaWithSha256));

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}
/**
 * A non-negative DER INTEGER in its one minimal form: no leading zero byte unless the next has its top
 * bit set (then one, or it would read as negative). OpenSSL refuses any other ("illegal padding"): a
 * random serial starting 0x00 0x3f… once made one certificate in a few hundred unreadable.
 */
export function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++;
  const minimal = bytes.subarray(start);
  return tlv(0x02, minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}
function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
function name(commonName: string): Buffer {
  return seq(tlv(0x31, seq(oid(OID.commonName), tlv(0x0c, Buffer.from(commonName, "utf8")))));
}
/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  return at.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}
function generalName(value: string): Buffer {
  const family = isIP(value);
  if (family === 0) return tlv(0x82, Buffer.from(value, "ascii")); // dNSName
  return tlv(0x87, family === 4 ? Buffer.from(value.split(".").map(Number)) : ipv6Bytes(value)); // iPAddress
}
function ipv6Bytes(address: string): Buffer {
  const [head = "", tail = ""] = address.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = address.includes("::") ? groups(tail) : [];
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}
function extension(id: string, value: Buffer, critical = false): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
function keyPem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }) as string;
}

