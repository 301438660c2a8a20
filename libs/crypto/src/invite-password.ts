import { randomInt } from 'node:crypto';

/**
 * Invitation passwords guard the AES key of an invitation code that travels by e-mail or chat, so weak ones are
 * refused. The rule follows Mattermost's password settings with every option on: a minimum length and at least one
 * lowercase letter, uppercase letter, number and symbol.
 */
export const INVITE_PASSWORD_MIN_LENGTH = 12;
export const INVITE_PASSWORD_RULE = `at least ${INVITE_PASSWORD_MIN_LENGTH} characters, with a lowercase letter, an uppercase letter, a number and a symbol`;

// Unicode-aware, so that a password in any script can qualify.
const CLASSES = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{L}\p{N}\s]/u];

/** True when `password` satisfies INVITE_PASSWORD_RULE. */
export function isStrongInvitePassword(password: string): boolean {
  return [...password].length >= INVITE_PASSWORD_MIN_LENGTH && CLASSES.every((c) => c.test(password));
}

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
// No quotes, backticks or pipes: the password is shown inside markdown and typed into slash commands.
const SYMBOLS = '!#$%*+-=?@^_~';
const ALL = LOWER + UPPER + DIGITS + SYMBOLS;
export const GENERATED_INVITE_PASSWORD_LENGTH = 20;

/** A random password satisfying the rule (about 120 bits), from a CSPRNG, without look-alike characters. */
export function generateInvitePassword(): string {
  for (;;) {
    let password = '';
    for (let i = 0; i < GENERATED_INVITE_PASSWORD_LENGTH; i++) password += ALL[randomInt(ALL.length)];
    if (isStrongInvitePassword(password)) return password;
  }
}
