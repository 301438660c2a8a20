import type { ChannelInvite } from './invite-payload';
import { Participant, personalInviteMembersProblem, personalInviteShapeProblem } from './personal-invite';

const SENDER = 's'.repeat(26);
const OTHER = 'o'.repeat(26);
const id = (n: number) => String(n).padStart(26, 'u');

function invite(type: 'D' | 'G', ids: string[], creator = ids[0]): ChannelInvite {
  return {
    channel_id: 'c'.repeat(26),
    team_id: '',
    read_only: false,
    name: '',
    display_name: '',
    header: '',
    purpose: '',
    type,
    creator_id: creator,
    direct_participant_ids: ids,
    direct_participants: [],
  };
}

const local = (n: number, deleted = 0): Participant => ({ id: id(n), remote_id: '', delete_at: deleted });
const remote = (n: number, remoteId = SENDER): Participant => ({ id: id(n), remote_id: remoteId, delete_at: 0 });

describe('personalInviteShapeProblem', () => {
  it('accepts a DM of two and a GM of 3 to 8 participants', () => {
    expect(personalInviteShapeProblem(invite('D', [id(1), id(2)]))).toBeUndefined();
    expect(personalInviteShapeProblem(invite('G', [id(1), id(2), id(3)]))).toBeUndefined();
    expect(personalInviteShapeProblem(invite('G', [1, 2, 3, 4, 5, 6, 7, 8].map(id)))).toBeUndefined();
  });

  it('refuses other counts', () => {
    expect(personalInviteShapeProblem(invite('D', [id(1)]))).toMatch(/2 participants, not 1/);
    expect(personalInviteShapeProblem(invite('D', [id(1), id(2), id(3)]))).toMatch(/not 3/);
    expect(personalInviteShapeProblem(invite('G', [id(1), id(2)]))).toMatch(/3 to 8 participants, not 2/);
    expect(personalInviteShapeProblem(invite('G', [1, 2, 3, 4, 5, 6, 7, 8, 9].map(id)))).toMatch(/not 9/);
  });

  it('refuses a participant listed twice and a creator who is not a participant', () => {
    expect(personalInviteShapeProblem(invite('D', [id(1), id(1)]))).toMatch(/twice/);
    expect(personalInviteShapeProblem(invite('G', [id(1), id(2), id(3)], id(9)))).toMatch(/creator_id/);
    expect(personalInviteShapeProblem(invite('G', [id(1), id(2), id(3)], ''))).toBeUndefined();
  });
});

describe('personalInviteMembersProblem', () => {
  it('accepts one user of the sender and one local user in a DM', () => {
    expect(personalInviteMembersProblem('D', SENDER, [remote(1), local(2)])).toBeUndefined();
  });

  it('refuses a DM of two remote or two local users', () => {
    expect(personalInviteMembersProblem('D', SENDER, [remote(1), remote(2)])).toMatch(/one user of the sender and one local/);
    expect(personalInviteMembersProblem('D', SENDER, [local(1), local(2)])).toMatch(/one user of the sender and one local/);
  });

  it('accepts a GM of users of the sender and local users, at least one of each', () => {
    expect(personalInviteMembersProblem('G', SENDER, [remote(1), remote(2), local(3)])).toBeUndefined();
    expect(personalInviteMembersProblem('G', SENDER, [remote(1), local(2), local(3)])).toBeUndefined();
    expect(personalInviteMembersProblem('G', SENDER, [local(1), local(2), local(3)])).toMatch(/users of the sender and local/);
    expect(personalInviteMembersProblem('G', SENDER, [remote(1), remote(2), remote(3)])).toMatch(/users of the sender and local/);
  });

  it('refuses a user of another connection and a deactivated local user', () => {
    expect(personalInviteMembersProblem('D', SENDER, [remote(1, OTHER), local(2)])).toMatch(/remoteID mismatch/);
    expect(personalInviteMembersProblem('G', SENDER, [remote(1), remote(2, OTHER), local(3)])).toMatch(/remoteID mismatch/);
    expect(personalInviteMembersProblem('D', SENDER, [remote(1), local(2, 5)])).toMatch(/deactivated/);
  });
});
