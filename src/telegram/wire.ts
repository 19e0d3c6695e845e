/**
 * Bot API objects as they come over the wire, only the fields the checks read. Declared here
 * rather than taken from @grammyjs/types because that package names a right
 * `can_delete_outgoing_messages` while the server sends `can_delete_sent_messages`
 * (telegram-business-facts.md): we read the wire, and accept both.
 */

export interface WireUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
  can_connect_to_business?: boolean;
}

export type WireRights = Partial<Record<string, boolean>>;

export interface WireBusinessConnection {
  id: string;
  user: WireUser;
  user_chat_id: number;
  date: number;
  rights?: WireRights | null;
  /** Deprecated since Bot API 9.0, still sent: mirrors rights.can_reply. */
  can_reply?: boolean;
  is_enabled: boolean;
}

export interface WireWebhookInfo {
  url: string;
  has_custom_certificate: boolean;
  pending_update_count: number;
  ip_address?: string;
  last_error_date?: number;
  last_error_message?: string;
  last_synchronization_error_date?: number;
  max_connections?: number;
  allowed_updates?: string[];
}

export interface WireStarAmount {
  amount: number;
  nanostar_amount?: number;
}
