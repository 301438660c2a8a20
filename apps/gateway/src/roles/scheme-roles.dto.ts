import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AppError } from '@fedchat/common';
import { IsBoolean, IsOptional } from 'class-validator';

/**
 * Mattermost's `SchemeRoles`, the body of `PUT /teams/{id}/members/{user_id}/schemes` and
 * `PUT /channels/{id}/members/{user_id}/schemes`: whether the member holds the scheme's admin role on top of its user role.
 */
export class SchemeRolesBody {
  @ApiProperty() @IsBoolean() scheme_admin: boolean;
  @ApiProperty() @IsBoolean() scheme_user: boolean;
  /** The suite has no guests: accepted for Mattermost's clients, refused when true. */
  @ApiPropertyOptional() @IsOptional() @IsBoolean() scheme_guest?: boolean;
}

/** Every member holds the scheme's user role; the suite has no guest role to give instead. */
export function requireMemberSchemeRoles(body: SchemeRolesBody): void {
  if (body.scheme_guest === true || !body.scheme_user) {
    throw AppError.badRequest(
      'api.context.invalid_body_param.app_error',
      'Invalid scheme roles: scheme_user must be true and scheme_guest false (the suite has no guest accounts).',
    );
  }
}
