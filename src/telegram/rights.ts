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


/** A permission as Telegram's chatbot settings show it to the profile owner: one switch, several rights. */
export interface Permission {
  /** Stable, for telling one owner's problems apart. */
  id: string;
  /** Its name in the guide's permission table (Telegram Business → Chatbots → the bot). */
  name: string;
  /** The guide's "what fails without it". */
  withoutIt: string;
  rights: readonly Right[];
}

/** Every right under the permission that grants it; the first three rows are the guide's table. */
export const PERMISSIONS: readonly Permission[] = [
  { id: "messages", name: "Message permissions", withoutIt: "Replies may fail or never appear", rights: ["can_reply"] },
  {
    id: "manage-messages",
    name: "Manage messages",
    withoutIt: "Operational actions can be incomplete",
    rights: ["can_read_messages", "can_delete_sent_messages", "can_delete_all_messages"],
  },
  {
    id: "gifts-and-stars",
    name: "Manage Gifts and Stars",
    withoutIt: "Paid delivery can fail even if chat works",
    rights: ["can_view_gifts_and_stars", "can_convert_gifts_to_stars", "can_transfer_and_upgrade_gifts", "can_transfer_stars", "can_change_gift_settings"],
  },
  {
    id: "profile",
    name: "Manage profile",
    withoutIt: "The bot cannot keep the profile's name, bio, photo or username up to date",
    rights: ["can_edit_name", "can_edit_bio", "can_edit_profile_photo", "can_edit_username"],
  },
  { id: "stories", name: "Manage stories", withoutIt: "The bot cannot post or manage the profile's stories", rights: ["can_manage_stories"] },
];

/** The permissions that hold any of these rights, in the table's order. */
export function permissionsOf(rights: readonly Right[]): Permission[] {
  return PERMISSIONS.filter((p) => p.rights.some((r) => rights.includes(r)));
}

export const permissionOf = (right: Right): Permission => PERMISSIONS.find((p) => p.rights.includes(right))!;
