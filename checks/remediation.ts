import type { OwnerFix } from "../src/check-model.ts";
import type { Permission } from "../src/telegram/rights.ts";

/**
 * What to tell the operator, in the words of the Secretary Mode setup guide
 * (shared/reference/secretary-mode-setup-guide.txt, "Why messages still do not appear or send").
 */
export const REMEDIATION = {
  tokenRevoked:
    "Open @BotFather, pick this bot and copy its current HTTP API token, then update it here. Keep that token private: anyone with it can control the bot.",
  tokenMalformed:
    "The configured value is not a bot token. Copy the HTTP API token of the production bot from @BotFather (/mybots → the bot → API Token) and paste it whole.",
  identity:
    "The token belongs to a different bot than the one you enabled in BotFather. Use one production bot: paste the token of the bot that has Secretary Mode, and check that the bot username shown matches the bot you created. If the username does not match, stop here and fix the token first.",
  businessMode:
    "Return to BotFather, open this exact bot and enable Secretary Mode (Business Mode) for it. Do not continue until you are sure you changed the same bot identity.",
  noConnectionId:
    "No real message has been sent yet, so the Secretary connection event has not been created. Send a real message to the Telegram profile from another Telegram account, then record the business connection id (admin API, or `secretary-watch doctor --discover`).",
  notConnected:
    "Open Telegram on the account that should own the live Secretary Mode conversations, open Secretary Mode settings (Telegram Business → Chatbots) and add the bot as a chatbot for that profile. Verify again that the selected bot is the same one stored here.",
  wrongOwner:
    "The bot is attached to the wrong Telegram profile: AI may never answer from the profile you expect. On the account that should own the conversations, open Secretary Mode settings and add this bot; remove it from the other profile.",
  confirmInferredOwner:
    "Verify that this is the account that should own the live Secretary Mode conversations: if you link the bot to the wrong Telegram account, AI may never answer from the profile you expect.",
  rights:
    "Secretary Mode permissions are incomplete. In Telegram Business → Chatbots → this bot, enable the missing permissions. Without message permissions replies may fail or never appear; without manage messages operational actions can be incomplete; without Gifts and Stars paid delivery can fail even if chat works.",
  starsProbe:
    "Telegram refused to read the account's Stars balance although the rights look granted. Forgetting to enable Gifts and Stars rights breaks paid media: re-check Manage Gifts and Stars for this bot in Telegram Business → Chatbots.",
  scopeExcluded:
    "The chat accessibility scope excludes the conversation you are testing. In Telegram Business → Chatbots → this bot, change which chats the bot can access so that this chat is included.",
  scopeNoInbound:
    "Some Secretary connection warnings disappear only after a real Telegram interaction: send a real message to the profile from this chat, then check again.",
  connectionInvalid:
    "Telegram no longer accepts the recorded business connection id: the profile disconnected the bot, or connected it again, which gives the connection a new id. Open Secretary Mode settings (Telegram Business → Chatbots) on the account that should own the conversations and check that this bot is added; then send a real message to the profile and record the new business connection id (admin API, or `secretary-watch doctor --discover`).",
  connectionNotAllowed:
    "Telegram does not let this bot act through the profile's business connection, which happens when Secretary Mode (Business Mode) is off for it. Return to BotFather, open this exact bot and enable Secretary Mode for it; then check that it is still added as a chatbot in Telegram Business → Chatbots.",
  businessMissing:
    "Telegram no longer takes this bot for a Secretary Mode bot (its getMe answer comes from a cache and may not show it yet). Return to BotFather, open this exact bot and enable Secretary Mode (Business Mode) for it. Do not continue until you are sure you changed the same bot identity.",
  starsForbidden:
    "Telegram refused to read the account's Stars balance: the bot lacks Manage Gifts and Stars at Telegram, although the connection last reported it granted. Paid delivery can fail even if chat works: in Telegram Business → Chatbots → this bot, turn Manage Gifts and Stars on (off and on again if it shows on).",
  scopeForbidden:
    "Telegram refused the bot's action in this chat: it lacks message permissions at Telegram, so replies may fail or never appear. In Telegram Business → Chatbots → this bot, turn on message permissions (reply to messages).",
  scopeRefused:
    "Telegram refused to act in this chat through the business connection. Check the bot's Secretary Mode permissions and chat access for this chat in Telegram Business → Chatbots.",
  webhookMissing:
    "The bot is set up for a webhook but none is set, so Secretary messages reach no one. Set the webhook again (setWebhook) from the bot's backend.",
  webhookUnexpected:
    "A webhook is set although this bot is configured for polling: its getUpdates calls fail with 409 Conflict. Delete the webhook or set `checks.webhook.mode: webhook`.",
  webhookError:
    "Telegram could not deliver updates to the bot's webhook, so Secretary messages do not reach the bot. Fix the endpoint: it must be reachable over HTTPS and answer 200 quickly.",
  webhookAllowedUpdates:
    "The webhook's allowed_updates list leaves out Secretary Mode updates, so business messages are silently dropped. Call setWebhook again with business_connection, business_message, edited_business_message and deleted_business_messages included (or without allowed_updates).",
  roundTripSilent:
    "The API checks pass, so Telegram's side is set up; the bot's own backend is not answering. Check that the backend receiving this bot's updates is running and answering Secretary messages (its logs, the AI service it calls, its webhook handler). Do not mark the setup complete until both inbound and outbound tests work.",
  roundTripRefused:
    "Telegram refused a message sent through the business connection: check the bot's Secretary Mode permissions (message permissions) and its chat access for the test account.",
  roundTripNotDelivered:
    "Telegram accepted the bot's message but the test account never saw it: check that the test account is not blocked and is inside the bot's chat access, then send one reply and confirm it reaches Telegram.",
  roundTripSlow:
    "Replies arrive, but slowly: check the latency of the bot's backend and of the AI service it calls.",
  webhookBacklog:
    "Updates are piling up at Telegram: the bot's backend is slow or failing to answer its webhook. Check the backend's health and logs.",
  pollingStalled:
    "Telegram is holding this bot's updates and nothing is collecting them, so Secretary messages do not reach the bot and no reply can appear: the bot's poller (the process that calls getUpdates) is not running or cannot reach Telegram. Restart the bot's backend, check its logs and its network path to the Bot API, and watch the pending count fall.",
  webhookStalled:
    "Telegram is holding this bot's updates and the backend is not taking them, so Secretary messages do not reach the bot and no reply can appear: the backend behind the webhook is not answering Telegram's deliveries. Check that it is running and answers 200 quickly, and watch the pending count fall.",
  endpointPort:
    "Telegram delivers webhooks only to ports 443, 80, 88 and 8443, so Secretary messages never reach this endpoint. Serve the bot's webhook on one of those ports and call setWebhook again with that URL.",
  endpointNoSuchName:
    "The webhook's host name does not exist in DNS, so Telegram cannot deliver Secretary messages to the bot. Fix the host's DNS record (or set the webhook to a host that resolves) and call setWebhook again.",
  endpointAddressMoved:
    "Telegram still delivers to the address it resolved when the webhook was set, and the host name no longer points there. Call setWebhook again with the same URL so that Telegram resolves the name anew, or keep the endpoint answering on the old address.",
  endpointHandshake:
    "Telegram could not open an HTTPS connection to the webhook: the endpoint must speak TLS on that port. Check the web server or proxy in front of the bot's backend and its TLS setup.",
  endpointUntrusted:
    "Telegram accepts only a certificate from a trusted certificate authority, or a self-signed one uploaded with setWebhook. Install the full certificate chain on the endpoint (the certificate and its intermediates), or upload the self-signed certificate with setWebhook's certificate parameter.",
  endpointWrongName:
    "The webhook's certificate is not issued for its host name, so Telegram refuses the connection. Install a certificate for this host name, or set the webhook to a name the certificate covers.",
  endpointExpiry:
    "Renew the webhook's TLS certificate and install it on the endpoint: once it has expired, Telegram stops delivering Secretary messages to the bot. If it is a self-signed certificate, upload the new one with setWebhook too.",
  endpointUnreachable:
    "Nothing is known to be wrong with the bot: the monitor could not reach its DNS server or the webhook endpoint. If this persists, check the monitor's own network path (its DNS servers, outbound connections to the endpoint's port).",
} as const;

/** Where the profile owner changes what the bot may do, as Telegram's apps name it. */
const chatbotSettings = (bot: string) => `Open Telegram → Settings → Telegram Business → Chatbots → @${bot}`;

/**
 * What the `owner` channel tells the profile owner, for the problems only they can fix in Telegram.
 * Plain words from the setup guide: no check ids, no internals; `bot` is the bot's username.
 */
export const OWNER_FIX = {
  disconnected: (bot: string): OwnerFix => ({
    problem: "connection",
    issue: `@${bot} is no longer connected to your Telegram Business account, so it does not read or answer your chats.`,
    fix: "Open Telegram → Settings → Telegram Business → Chatbots and add @" + bot + " again as your chatbot. Check that it is the same bot you use for Secretary Mode.",
    fixed: `@${bot} is connected to your Telegram Business account again. Thank you!`,
  }),
  permission: (bot: string, permission: Permission): OwnerFix => ({
    problem: `permission:${permission.id}`,
    issue: `@${bot} is missing the ${permission.name} permission. ${permission.withoutIt}.`,
    fix: `${chatbotSettings(bot)} and turn on ${permission.name}.`,
    fixed: `@${bot} has the ${permission.name} permission again. Thank you!`,
  }),
  scope: (bot: string): OwnerFix => ({
    problem: "scope",
    issue: `Some chats @${bot} should answer are outside the chats it may access, so they remain invisible to it.`,
    fix: `${chatbotSettings(bot)} and change which chats it can access so that all the chats it should answer are included.`,
    fixed: `@${bot} can access all the chats it should answer again. Thank you!`,
  }),
} as const;
