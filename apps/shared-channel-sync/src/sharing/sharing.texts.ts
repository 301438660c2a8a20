/** What users read about sharing: channel notices (never synced) and the bot's message to admins. */

export function sharedWith(workspace: string): string {
  return `This channel is now shared with ${workspace}.`;
}

export function noLongerSharedWith(workspace: string): string {
  return `This channel is no longer shared with ${workspace}.`;
}

/** Mattermost's `UnshareMessage`, posted as `system_generic`. */
export const UNSHARED = 'This channel is no longer shared.';

/** Error texts a peer reads in a FAIL answer to `sharedchannel_invite` (stable: the home logs and retries on them). */
export const INVITE_PENDING_REVIEW = 'channel invitation is pending review';
export const CHANNEL_EXISTS = 'channel already exists';

/** Props of the `shared_channel_state` notices, as Mattermost's newest webapp renders them. */
export function stateProps(state: 'shared' | 'unshared', remoteId: string, workspace: string): Record<string, unknown> {
  return { shared_channel_state: state, remote_id: remoteId, workspace_name: workspace };
}

/** One markdown table cell: no pipes, backticks or line breaks from a remote-controlled name. */
export function cell(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[|`]/g, (c) => `\\${c}`);
}
