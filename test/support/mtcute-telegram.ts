/**
 * A scripted Telegram at the TL level for the mtcute test account: @mtcute/test's StubTelegramClient
 * (mtcute's own BaseTelegramClient over a fake transport) under @mtcute/node's real TelegramClient, so
 * the adapter runs through mtcute's own session import, getMe, updates loop, peer resolution, sendText
 * and deleteMessagesById. Each RPC the account makes is answered here as Telegram would and recorded.
 *
 * The world: the test account (SELF) and profile owners. Telegram hands out an owner's access hash for a
 * bare user id (`users.getUsers` with access hash 0) only when `reachable`; otherwise only once the owner
 * is among the account's dialogs. A message the account sends to an owner with `answers` set is answered
 * by the owner's profile (the Secretary bot replying in the owner's name) after `answerDelayMs`.
 */
import { randomBytes } from "node:crypto";
import { createStub, StubTelegramClient } from "@mtcute/test";
import { Long, TelegramClient, tl } from "@mtcute/node";
import { defaultProductionDc, defaultTestDc, writeStringSession } from "@mtcute/node/utils.js";

export const SELF = 6_000_001;

export interface Owner {
  id: number;
  /** `users.getUsers` by bare id gives its access hash. Default true. */
  reachable?: boolean;
  /** Listed by `messages.getDialogs` (so the account has talked to it). Default false. */
  inDialogs?: boolean;
  /** The profile answers each message with `reply: <text>`. Default true. */
  answers?: boolean;
}

export interface MtcuteTelegram {
  /** The real TelegramClient the adapter is given. */
  client: TelegramClient;
  stub: StubTelegramClient;
  /** Every RPC the account made, by TL method name, in order. */
  calls: tl.RpcMethod[];
  named<T extends tl.RpcMethod["_"]>(method: T): tl.FindByName<tl.RpcMethod, T>[];
  /** Telegram pushes a private message from `from` to the account (an `updateNewMessage`); returns its id. */
  deliver(from: number, text: string): number;
  /**
   * Resolves once mtcute's updates loop listens. Logging in starts it in the background (as mtcute's own
   * start() does): it first fetches the update state, and a push before then would be lost.
   */
  updatesFlowing(): Promise<void>;
  /** When set, the session's auth key is unknown to Telegram: every RPC answers this 401. */
  unauthorised?: string;
}

const user = (id: number) => createStub("user", { id, accessHash: Long.fromNumber(id * 7), firstName: `user ${id}` });

export function sessionString(environment: "prod" | "test" = "prod"): string {
  return writeStringSession({
    version: 3,
    primaryDcs: environment === "test" ? defaultTestDc : defaultProductionDc,
    self: { userId: SELF, isBot: false, isPremium: false, usernames: [] },
    authKey: randomBytes(256),
  });
}

export interface MtcuteTelegramOptions {
  /** How long the profile takes to answer (ms). Default 10. */
  answerDelayMs?: number;
  /** RPCs Telegram never answers: mtcute sends them over the stub's transport, where nothing replies. */
  unanswered?: readonly tl.RpcMethod["_"][];
}

export async function mtcuteTelegram(owners: readonly Owner[], options: MtcuteTelegramOptions = {}): Promise<MtcuteTelegram> {
  const stub = new StubTelegramClient({ disableUpdates: false });
  const client = new TelegramClient({ client: stub });
  const self = createStub("user", { id: SELF, self: true, accessHash: Long.fromNumber(SELF), firstName: "Test account" });
  const byId = new Map(owners.map((o) => [o.id, { reachable: true, inDialogs: false, answers: true, ...o }]));
  await stub.registerPeers(self);
  // Telegram knows the owners (their users go with the updates it pushes); the account's peer cache
  // starts empty, as MemoryStorage does, so they are not registered there.
  for (const o of owners) stub._knownUsers.set(o.id, user(o.id));

  // An account's pts is never 0 (mtcute reads 0 as "no state yet" and fetches it again).
  stub.getNextPts(0, 1000);
  const calls: tl.RpcMethod[] = [];
  const world: MtcuteTelegram = {
    client,
    stub,
    calls,
    named: <T extends tl.RpcMethod["_"]>(method: T) => calls.filter((c) => c._ === method) as tl.FindByName<tl.RpcMethod, T>[],
    deliver(from, text) {
      if (stub.onServerUpdate.length === 0) throw new Error("mtcute's updates loop is not listening yet: await updatesFlowing() first");
      const id = stub.getNextMessageId();
      const message = createStub("message", { id, peerId: { _: "peerUser", userId: from }, date: stub.getNextDate(), message: text });
      stub.onServerUpdate.emit(stub.createStubUpdates({ updates: [{ _: "updateNewMessage", message, pts: stub.getNextPts(), ptsCount: 1 }], peers: [from] }));
      return id;
    },
    async updatesFlowing() {
      for (let waited = 0; stub.onServerUpdate.length === 0; waited += 5) {
        if (waited > 5_000) throw new Error("mtcute's updates loop did not start within 5 s");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
  const answer = <T extends tl.RpcMethod["_"]>(method: T, respond: (req: tl.FindByName<tl.RpcMethod, T>) => unknown) => {
    if (options.unanswered?.includes(method)) return;
    stub.respondWith(method, ((req: tl.FindByName<tl.RpcMethod, T>) => {
      calls.push(req);
      if (world.unauthorised) throw new tl.RpcError(401, world.unauthorised);
      return respond(req);
    }) as never);
  };

  answer("users.getUsers", (req) =>
    req.id.flatMap((input) => {
      if (input._ === "inputUserSelf") return [self];
      const owner = input._ === "inputUser" ? byId.get(input.userId) : undefined;
      return owner?.reachable ? [user(owner.id)] : [];
    }),
  );
  answer("updates.getState", () => createStub("updates.state", { pts: stub.getMessageBox().pts, date: stub.getNextDate() }));
  // Logging in, mtcute asks for the difference since that state: nothing happened meanwhile.
  answer("updates.getDifference", () => createStub("updates.differenceEmpty", { date: stub.getNextDate(), seq: 0 }));
  answer("contacts.getContacts", () => createStub("contacts.contacts", { contacts: [], savedCount: 0, users: [] }));
  answer("messages.getDialogs", async (req) => {
    // One page holds every dialog: asked for the page after it, Telegram has none.
    const known = req.offsetPeer._ === "inputPeerEmpty" ? [...byId.values()].filter((o) => o.inDialogs) : [];
    // Telegram's answer carries the users; BaseTelegramClient.call caches them (the stub's call skips that).
    await stub.storage.peers.updatePeersFrom({ _: "messages.dialogs", dialogs: [], messages: [], chats: [], users: known.map((o) => user(o.id)) });
    return createStub("messages.dialogs", {
      dialogs: known.map((o) => createStub("dialog", { peer: { _: "peerUser", userId: o.id } })),
      users: known.map((o) => user(o.id)),
    });
  });
  answer("messages.sendMessage", (req) => {
    const to = req.peer._ === "inputPeerUser" ? req.peer.userId : 0;
    const id = stub.getNextMessageId();
    const sent = createStub("message", { id, out: true, fromId: { _: "peerUser", userId: SELF }, peerId: { _: "peerUser", userId: to }, date: stub.getNextDate(), message: req.message });
    const owner = byId.get(to);
    if (owner?.answers) setTimeout(() => world.deliver(to, `reply: ${req.message}`), options.answerDelayMs ?? 10).unref();
    return createStub("updates", {
      users: [user(to)],
      updates: [
        { _: "updateMessageID", randomId: req.randomId, id },
        { _: "updateNewMessage", message: sent, pts: stub.getNextPts(), ptsCount: 1 },
      ],
    });
  });
  answer("messages.deleteMessages", (req) => createStub("messages.affectedMessages", { pts: stub.getNextPts(0, req.id.length), ptsCount: req.id.length }));
  return world;
}
