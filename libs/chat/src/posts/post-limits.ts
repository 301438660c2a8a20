/** Mattermost's limits on a post, shared by the REST layer and the chat rules. */
export const POST_MESSAGE_MAX_RUNES = 16383;
export const POST_MAX_FILES = 10;
