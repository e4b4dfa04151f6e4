/**
 * Keyed pseudonyms for `user_id` (HMAC-SHA256 with a secret key), applied where events enter the
 * pipeline: by the SDK before sending and by the ingest API before producing, with this one
 * function, so both give a user the same pseudonym and FCR, retention and keys still line up.
 * Without the key nobody can recompute or reverse a pseudonym; a new key gives new pseudonyms.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** The environment variable holding the key; never logged. */
export const PSEUDONYMIZE_KEY_ENV = 'CS_PSEUDONYMIZE_KEY';
/** A shorter key would be guessable. */
export const MIN_PSEUDONYMIZE_KEY_BYTES = 32;

export type Pseudonymizer = (userId: string) => string;

export class PseudonymizeKeyError extends Error {}

/**
 * The pseudonymizer of a key: user_id → hex HMAC-SHA256(key, user_id). The key is held as a
 * KeyObject, which neither JSON nor util.inspect print, so a logged config cannot leak it.
 */
export function pseudonymizer(key: string): Pseudonymizer {
  if (Buffer.byteLength(key) < MIN_PSEUDONYMIZE_KEY_BYTES) {
    throw new PseudonymizeKeyError(`${PSEUDONYMIZE_KEY_ENV} must be at least ${MIN_PSEUDONYMIZE_KEY_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`);
  }
  const secret: KeyObject = createSecretKey(Buffer.from(key));
  return (userId) => createHmac('sha256', secret).update(userId).digest('hex');
}

/** The pseudonymizer configured by CS_PSEUDONYMIZE_KEY, or undefined when it is not set. */
export function loadPseudonymizer(env: Record<string, string | undefined> = process.env): Pseudonymizer | undefined {
  const key = env.CS_PSEUDONYMIZE_KEY;
  return key === undefined || key === '' ? undefined : pseudonymizer(key);
}

/** Replaces the event's user_id (the topics that have one) with its pseudonym, in place. */
export function pseudonymizeEvent(event: object, pseudonymize: Pseudonymizer): void {
  const e = event as { user_id?: unknown };
  if (typeof e.user_id === 'string') e.user_id = pseudonymize(e.user_id);
}
