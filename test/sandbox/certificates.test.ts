/**
 * The sandbox's certificates (src/sandbox/certificates.ts) as OpenSSL reads them: DER integers in their
 * one minimal form, and certificate after certificate that Node's TLS takes (a random serial once made
 * one in a few hundred unreadable: "illegal padding").
 */
import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { daysFromNow, derInteger, makeCertificate } from "../../src/sandbox/certificates.ts";

/** The value of a DER INTEGER's content, read as two's complement, and whether it is minimal. */
function read(der: Buffer): { value: bigint; minimal: boolean } {
  expect(der[0]).toBe(0x02);
  const content = der.subarray(2, 2 + der[1]!);
  const value = BigInt(`0x${content.toString("hex") || "0"}`) - (content[0]! & 0x80 ? 1n << BigInt(content.length * 8) : 0n);
  const minimal = content.length === 1 || !((content[0] === 0 && content[1]! < 0x80) || (content[0] === 0xff && content[1]! >= 0x80));
  return { value, minimal };
}

describe("the sandbox's certificates", () => {
  it("when any non-negative number of up to 20 bytes is encoded, then it is one minimal, non-negative DER INTEGER of the same value", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), (bytes) => {
        const { value, minimal } = read(derInteger(Buffer.from(bytes)));
        expect(value).toBe(BigInt(`0x${Buffer.from(bytes).toString("hex")}`));
        expect(minimal).toBe(true);
      }),
      { numRuns: 2000, examples: [[new Uint8Array([0, 0x3f, 1])], [new Uint8Array([0, 0, 0])], [new Uint8Array([0x80])]] },
    );
  });

  it("when 300 certificates are made, then Node's TLS and X509 read every one, serials included", () => {
    const serials = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const { cert, key } = makeCertificate({ commonName: `host-${i}.example.com`, notBefore: daysFromNow(-1), notAfter: daysFromNow(30) });
      expect(() => createSecureContext({ cert, key })).not.toThrow();
      serials.add(new X509Certificate(cert).serialNumber);
    }
    expect(serials.size).toBe(300);
  });
});
