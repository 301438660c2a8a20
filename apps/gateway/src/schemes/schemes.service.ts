import { Injectable } from '@nestjs/common';
import { BUILT_IN_ROLES, ROLE_CHANNEL_ADMIN, ROLE_CHANNEL_USER, ROLE_TEAM_ADMIN, ROLE_TEAM_USER, RoleCatalogue } from '@fedchat/chat';
import { AppError, Bus } from '@fedchat/common';
import { RolesChanged } from '@fedchat/contracts';
import { isValidId, newId } from '@fedchat/crypto';
import { isUniqueViolation, Role, Scheme, Team } from '@fedchat/models';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { CreateSchemeBody, PatchSchemeBody } from './schemes.dto';

function schemeNotFound(): AppError {
  return new AppError('app.scheme.get.app_error', 'Unable to find the scheme.', 404);
}

function nameTaken(): AppError {
  return AppError.badRequest('app.scheme.save.invalid_scheme.app_error', 'A scheme with that name already exists.');
}

/**
 * Team override schemes (Mattermost /api/v4/schemes): a scheme gets its own copies of the team and channel roles,
 * which `PATCH /roles/{id}/patch` edits; a team using the scheme gives its members those roles. Only the permissions
 * checked per team read them (today `manage_shared_channels`, for sharing the team's channels).
 */
@Injectable()
export class SchemesService {
  constructor(
    @InjectRepository(Scheme) private readonly schemes: Repository<Scheme>,
    @InjectRepository(Team) private readonly teams: Repository<Team>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalogue: RoleCatalogue,
    private readonly bus: Bus,
  ) {}

  async create(body: CreateSchemeBody): Promise<Scheme> {
    const now = Date.now();
    const role = (builtIn: string, label: string): Role => {
      const template = BUILT_IN_ROLES.find((r) => r.name === builtIn);
      if (!template) throw new Error(`no built-in role ${builtIn}`);
      return {
        id: newId(),
        // Mattermost names a scheme's roles with fresh ids too: unique, and valid role names.
        name: newId(),
        display_name: `${label} Role for Scheme ${body.display_name}`.slice(0, 128),
        description: '',
        create_at: now,
        update_at: now,
        delete_at: 0,
        permissions: [...template.permissions],
        scheme_managed: true,
        built_in: false,
      };
    };
    const teamAdmin = role(ROLE_TEAM_ADMIN, 'Team Admin');
    const teamUser = role(ROLE_TEAM_USER, 'Team User');
    const channelAdmin = role(ROLE_CHANNEL_ADMIN, 'Channel Admin');
    const channelUser = role(ROLE_CHANNEL_USER, 'Channel User');
    const scheme: Scheme = {
      id: newId(),
      name: body.name ?? newId(),
      display_name: body.display_name,
      description: body.description ?? '',
      scope: 'team',
      create_at: now,
      update_at: now,
      delete_at: 0,
      default_team_admin_role: teamAdmin.name,
      default_team_user_role: teamUser.name,
      default_channel_admin_role: channelAdmin.name,
      default_channel_user_role: channelUser.name,
    };
    try {
      await this.dataSource.transaction(async (tx) => {
        await this.catalogue.insert(tx, [teamAdmin, teamUser, channelAdmin, channelUser]);
        await tx.getRepository(Scheme).insert(scheme);
      });
    } catch (err) {
      throw isUniqueViolation(err) ? nameTaken() : err;
    }
    await this.catalogue.reload();
    this.bus.emit(RolesChanged, { role_id: teamUser.id });
    return scheme;
  }

  /** Newest first, as Mattermost lists them; every scheme here is a team scheme, so scope 'channel' finds none. */
  async list(scope: '' | 'team' | 'channel', skip: number, take: number): Promise<Scheme[]> {
    if (scope === 'channel') return [];
    return this.schemes.find({ where: { delete_at: 0 }, order: { create_at: 'DESC', id: 'ASC' }, skip, take });
  }

  async get(id: string): Promise<Scheme> {
    if (!isValidId(id)) throw AppError.invalidParam('scheme_id');
    const scheme = await this.schemes.findOneBy({ id, delete_at: 0 });
    if (!scheme) throw schemeNotFound();
    return scheme;
  }

  async patch(id: string, body: PatchSchemeBody): Promise<Scheme> {
    const scheme = await this.get(id);
    const changes: Partial<Scheme> = { update_at: Date.now() };
    if (body.name !== undefined) changes.name = body.name;
    if (body.display_name !== undefined) changes.display_name = body.display_name;
    if (body.description !== undefined) changes.description = body.description;
    try {
      await this.schemes.update({ id: scheme.id }, changes);
    } catch (err) {
      throw isUniqueViolation(err) ? nameTaken() : err;
    }
    return this.get(scheme.id);
  }

  /** Mattermost's `PUT /teams/{id}/scheme`; `''` goes back to the built-in roles. Effective at the next check. */
  async setTeamScheme(teamId: string, schemeId: string): Promise<void> {
    if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
    if (schemeId !== '') await this.get(schemeId);
    const result = await this.teams.update({ id: teamId }, { scheme_id: schemeId, update_at: Date.now() });
    if (!result.affected) throw AppError.notFound('team', 'app.team.get.find.app_error');
  }
}
