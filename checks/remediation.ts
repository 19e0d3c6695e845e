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
