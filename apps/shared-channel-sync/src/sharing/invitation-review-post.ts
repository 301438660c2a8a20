import { INVITATION_REVIEW_INTEGRATION_URL, InvitationReviewAction } from '@fedchat/contracts';

/** What the system bot's review post says about one invitation held for review. */
export interface ReviewedInvitation {
  invitation_id: string;
  display_name: string;
  name: string;
  type: string;
  read_only: boolean;
  /** The connection's display name (or name). */
  connection: string;
}

/** A team offered in the destination menu. */
export interface TeamOption {
  id: string;
  display_name: string;
}

export interface PostContent {
  message: string;
  props: Record<string, unknown>;
}

/** Mattermost's colours for the attachment's left border: pending, accepted, closed otherwise. */
const PENDING_COLOR = '#1C58D9';
const ACCEPTED_COLOR = '#3DB887';
const CLOSED_COLOR = '#8B8B8B';

/**
 * Remote-controlled text inside markdown: one line, and no character that would make a link, an image, emphasis, a
 * mention or a table of it.
 */
export function markdownText(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\\`*_[\]()<>|~#@!]/g, (c) => `\\${c}`);
}

function describe(inv: ReviewedInvitation): string {
  return `**${markdownText(inv.connection)}** invites this workspace to the channel **${markdownText(inv.display_name)}** (\`${inv.name.replace(/`/g, '')}\`).`;
}

function fields(inv: ReviewedInvitation): Record<string, unknown>[] {
  return [
    { title: 'Secure connection', value: markdownText(inv.connection), short: true },
    { title: 'Channel type', value: inv.type === 'P' ? 'Private' : 'Public', short: true },
    { title: 'Read only', value: inv.read_only ? 'Yes' : 'No', short: true },
    { title: 'Invitation ID', value: inv.invitation_id, short: true },
  ];
}

/**
 * The post offering the decision: a message attachment with a `select` of destination teams (static `options`, no
 * `data_source`) and the Accept and Decline buttons, in the shape Mattermost's webapp and mobile app render. The
 * actions' `integration` is kept on the server (see withoutActionIntegrations); its context only describes the click.
 */
export function reviewPostContent(inv: ReviewedInvitation, teams: TeamOption[]): PostContent {
  const integration = (action: string) => ({
    url: INVITATION_REVIEW_INTEGRATION_URL,
    context: { invitation_id: inv.invitation_id, action },
  });
  const actions: Record<string, unknown>[] = [];
  if (teams.length > 0) {
    actions.push(
      {
        id: InvitationReviewAction.ChooseTeam,
        type: 'select',
        name: 'Destination team',
        options: teams.map((t) => ({ text: t.display_name, value: t.id })),
        integration: integration('choose_team'),
      },
      { id: InvitationReviewAction.Accept, type: 'button', name: 'Accept', style: 'primary', integration: integration('accept') },
    );
  }
  actions.push({
    id: InvitationReviewAction.Decline,
    type: 'button',
    name: 'Decline',
    style: 'danger',
    integration: integration('decline'),
  });
  const howTo =
    teams.length > 0
      ? 'Choose the team to create the channel in, then select **Accept**; or select **Decline**.'
      : 'You are in no team that could hold the channel: join one, or accept it through the API. You can **Decline** it here.';
  const message = [
    '#### A shared channel invitation is waiting for review',
    describe(inv),
    howTo,
    `Through the API: \`POST /api/v4/sharedchannels/invitations/{id}/accept\` with \`{"team_id": "<team id>"}\`, or \`POST /api/v4/sharedchannels/invitations/{id}/decline\`, where the id is \`${inv.invitation_id}\`.`,
  ].join('\n\n');
  return {
    message,
    props: {
      attachments: [
        {
          fallback: `Shared channel invitation: ${inv.display_name} from ${inv.connection}`,
          color: PENDING_COLOR,
          title: markdownText(inv.display_name),
          fields: fields(inv),
          actions,
        },
      ],
    },
  };
}

/** The same post once decided: the actions give way to the outcome, so that nobody acts twice. */
export function decidedPostContent(inv: ReviewedInvitation, outcome: string, accepted: boolean): PostContent {
  return {
    message: ['#### A shared channel invitation was reviewed', describe(inv), `**${outcome}**`].join('\n\n'),
    props: {
      attachments: [
        {
          fallback: `Shared channel invitation: ${inv.display_name} from ${inv.connection}: ${outcome}`,
          color: accepted ? ACCEPTED_COLOR : CLOSED_COLOR,
          title: markdownText(inv.display_name),
          text: outcome,
          fields: fields(inv),
        },
      ],
    },
  };
}

/** "Accepted into team X by @user" and the like, for an invitation that is no longer pending. */
export function outcomeText(status: string, teamName: string | undefined, username: string | undefined): string {
  const by = username ? ` by @${username}` : ' automatically';
  if (status === 'accepted') return `Accepted into team ${markdownText(teamName ?? 'unknown')}${by}.`;
  if (status === 'rejected') return `Declined${by}.`;
  return `No longer pending (${status}).`;
}
