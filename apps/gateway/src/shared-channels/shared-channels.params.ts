import { AppError } from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';

/** An id from the URL or a body; 400 invalid-param when malformed. */
export function idParam(value: string | undefined, name: string): string {
  if (value === undefined || !isValidId(value)) throw AppError.invalidParam(name);
  return value;
}

/** A "true"/"false" query flag; anything but "true" is false, as Mattermost reads them. */
export function queryFlag(value: string | undefined): boolean {
  return value === 'true';
}
