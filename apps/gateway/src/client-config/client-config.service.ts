import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { newId } from '@fedchat/crypto';
import { isSystemAdmin } from '@fedchat/chat';
import type { User } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { clientConfigOf, licenseOf, limitedClientConfigOf } from './client-config';

/** The `system` row that holds the server's diagnostic id (Mattermost's `DiagnosticId`, also `TelemetryId`). */
const DIAGNOSTIC_ID = 'DiagnosticId';

@Injectable()
export class ClientConfigService {
  private diagnosticId?: Promise<string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The whole client config for a signed-in caller; the limited one (login page) for anyone else, as Mattermost. */
  async clientConfig(caller: User | undefined): Promise<Record<string, string>> {
    const id = await this.serverDiagnosticId();
    const base = caller ? clientConfigOf(this.config) : limitedClientConfigOf(this.config);
    return { ...base, DiagnosticId: id, TelemetryId: id };
  }

  license(): Record<string, string> {
    return licenseOf(this.config);
  }

  /** The suite has no user limits (0 = none); only admins learn how many active users there are, as Mattermost. */
  async serverLimits(caller: User): Promise<Record<string, number>> {
    const active = isSystemAdmin(caller.roles)
      ? Number((await this.dataSource.query(`SELECT count(*) AS n FROM users WHERE delete_at = 0 AND remote_id = ''`))[0].n)
      : 0;
    return { maxUsersLimit: 0, maxUsersHardLimit: 0, activeUserCount: active, postHistoryLimit: 0, lastAccessiblePostTime: 0 };
  }

  /**
   * Made once per database and kept: every replica and restart answers the same id. The insert that loses a race
   * does nothing and the winner's id is read back.
   */
  private serverDiagnosticId(): Promise<string> {
    this.diagnosticId ??= (async () => {
      await this.dataSource.query(`INSERT INTO system (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
        DIAGNOSTIC_ID,
        newId(),
      ]);
      const rows: Array<{ value: string }> = await this.dataSource.query(`SELECT value FROM system WHERE name = $1`, [DIAGNOSTIC_ID]);
      return rows[0].value;
    })().catch((err: unknown) => {
      this.diagnosticId = undefined;
      throw err;
    });
    return this.diagnosticId;
  }
}
