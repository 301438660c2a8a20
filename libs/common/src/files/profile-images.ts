/** Where a user's profile picture is stored (the gateway writes it, file-transfer sends it to remotes). */
export function profileImagePath(userId: string, extension: string): string {
  return `users/${userId}/profile.${extension}`;
}

/** The stored picture formats, by file extension. */
export const PROFILE_IMAGE_CONTENT_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif' };
