/**
 * The sandbox's webhook endpoints: on the sandbox's own port, a TLS handshake gets the certificate of
 * the world's webhook host it names (SNI), made as that bot's webhook says, while HTTP on the same port
 * is still the Bot API and its control API.
 */
import { connect, type PeerCertificate } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/server.ts";
import { parseWorld } from "../../src/sandbox/world.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    world: parseWorld({
      bots: [
        { token: "7000001:a-Xk2v9", username: "anna_bot", firstName: "A", webhook: { url: "https://bots.example.com/anna" } },
        { token: "7000002:b-Xk2v9", username: "boris_bot", firstName: "B", webhook: { url: "https://hooks.example.org/boris", certificateExpiresInDays: 5 } },
        { token: "7000003:c-Xk2v9", username: "clara_bot", firstName: "C", webhook: { url: "https://127.0.0.1/clara", certificateNames: ["127.0.0.1"] } },
      ],
    }),
  });
});
afterAll(() => sandbox.close());

/** The certificate a handshake with the sandbox's port gets when it asks for `servername` (none: no SNI). */
function certificateFor(servername?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: sandbox.port, rejectUnauthorized: false, ...(servername && { servername }) }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once("error", reject);
  });
}
const daysLeft = (cert: PeerCertificate) => (Date.parse(cert.valid_to) - Date.now()) / 86_400_000;

describe("the sandbox's webhook endpoints", () => {
  it("when a client asks for a webhook host, then it gets that host's certificate, valid as its webhook says", async () => {
    const anna = await certificateFor("bots.example.com");
    expect(anna.subjectaltname).toBe("DNS:bots.example.com");
    expect(daysLeft(anna)).toBeCloseTo(90, 0);
    const boris = await certificateFor("hooks.example.org");
    expect(boris.subjectaltname).toBe("DNS:hooks.example.org");
    expect(daysLeft(boris)).toBeCloseTo(5, 0);
  });

  it("when the same host is asked again, then the same certificate comes back (made once)", async () => {
    expect((await certificateFor("hooks.example.org")).fingerprint256).toBe((await certificateFor("hooks.example.org")).fingerprint256);
  });

  it("when a client sends no SNI, then it gets the IP-literal webhook's certificate; for a host no webhook has, a certificate for no such host", async () => {
    expect((await certificateFor()).subjectaltname).toBe("IP Address:127.0.0.1");
    expect((await certificateFor("shop.example.net")).subjectaltname).toBe("DNS:no-such-webhook.sandbox.invalid");
  });

  it("when HTTP comes to the same port, then the Bot API and the control API answer as before", async () => {
    expect((await fetch(`${sandbox.url}/_sandbox/world`)).status).toBe(200);
    const me = (await (await fetch(`${sandbox.url}/bot7000001:a-Xk2v9/getWebhookInfo`)).json()) as { result: { url: string; has_custom_certificate: boolean } };
    expect(me.result).toMatchObject({ url: "https://bots.example.com/anna", has_custom_certificate: true });
  });
});
