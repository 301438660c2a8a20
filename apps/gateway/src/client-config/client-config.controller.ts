import { Controller, Get, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError } from '@fedchat/common';
import type { User } from '@fedchat/models';
import type { Request } from 'express';
import { CurrentUser, Public } from '../auth/auth.guard';
import { AuthService } from '../auth/auth.service';
import { FORMAT_QUERY, ServerLimitsJson, STRING_MAP } from './client-config.dto';
import { ClientConfigService } from './client-config.service';

function requireOldFormat(format: unknown): void {
  if (format !== undefined && format !== 'old') throw AppError.invalidParam('format');
}

/** What the Mattermost apps ask first: the client config, the license, the server's limits. */
@ApiTags('system')
@Controller('api/v4')
export class ClientConfigController {
  constructor(
    private readonly clientConfig: ClientConfigService,
    private readonly auth: AuthService,
  ) {}

  /** Every value is a string (Mattermost's "old" format); callers that are not signed in get the login page's part. */
  @Public()
  @Get('config/client')
  @ApiQuery(FORMAT_QUERY)
  @ApiOkResponse({ schema: STRING_MAP })
  async getClientConfig(@Query('format') format: unknown, @Req() req: Request): Promise<Record<string, string>> {
    requireOldFormat(format);
    const caller = await this.auth.authenticateRequest(req);
    return this.clientConfig.clientConfig(caller?.user);
  }

  /** The features the suite has, in Mattermost's license shape (see docs/clients.md). */
  @Public()
  @Get('license/client')
  @ApiQuery(FORMAT_QUERY)
  @ApiOkResponse({ schema: STRING_MAP })
  getClientLicense(@Query('format') format: unknown): Record<string, string> {
    requireOldFormat(format);
    return this.clientConfig.license();
  }

  @Get('limits/server')
  @ApiOkResponse({ type: ServerLimitsJson })
  async getServerLimits(@CurrentUser() caller: User): Promise<Record<string, number>> {
    return this.clientConfig.serverLimits(caller);
  }
}
