/** BusinessBotRights as sent on the wire (Bot API 9.0+). */
export const RIGHTS = [
  "can_reply",
  "can_read_messages",
  "can_delete_sent_messages",
  "can_delete_all_messages",
  "can_edit_name",
  "can_edit_bio",
  "can_edit_profile_photo",
  "can_edit_username",
  "can_change_gift_settings",
  "can_view_gifts_and_stars",
  "can_convert_gifts_to_stars",
  "can_transfer_and_upgrade_gifts",
  "can_transfer_stars",
  "can_manage_stories",
] as const;
export type Right = (typeof RIGHTS)[number];

/** The guide's permission table: message permissions, manage messages, Gifts and Stars. */
export const DEFAULT_REQUIRED_RIGHTS: Right[] = [
  "can_reply",
  "can_read_messages",
  "can_delete_sent_messages",
  "can_view_gifts_and_stars",
  "can_convert_gifts_to_stars",
  "can_transfer_and_upgrade_gifts",
  "can_transfer_stars",
];

export const GIFTS_AND_STARS: readonly Right[] = [
  "can_view_gifts_and_stars",
  "can_convert_gifts_to_stars",
  "can_transfer_and_upgrade_gifts",
  "can_transfer_stars",
];

/** Some type packages (grammY's among them) call the wire's can_delete_sent_messages this. */
export const RIGHT_ALIASES: Record<string, Right> = { can_delete_outgoing_messages: "can_delete_sent_messages" };

/**
 * The fields of a BusinessConnection (wire.ts) that say what it grants. Named here, not imported:
 * wire.ts reads this module's list of rights, and the two must not import each other.
 */
export type GrantingConnection = { rights?: Readonly<Record<string, unknown>> | undefined; can_reply?: boolean | undefined };

/** The rights the connection grants, read from the wire (either name), with the old can_reply flag. */
export function grantedRights(connection: GrantingConnection): Record<Right, boolean> {
  const wire = connection.rights ?? {};
  const granted = Object.fromEntries(RIGHTS.map((r) => [r, wire[r] === true])) as Record<Right, boolean>;
  if (wire.can_delete_outgoing_messages === true) granted.can_delete_sent_messages = true;
  // Servers before Bot API 9.0 only send the top-level flag.
  if (!connection.rights && connection.can_reply === true) granted.can_reply = true;
  return granted;
}

