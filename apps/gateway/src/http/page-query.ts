import { PER_PAGE_DEFAULT, PER_PAGE_MAX } from '@fedchat/chat';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/**
 * The highest page a list serves (an empty one): far beyond any real list, while page × per_page stays an exact
 * integer and a valid PostgreSQL bigint offset (`page=99999999999999999999` would overflow it).
 */
export const MAX_PAGE = 1_000_000_000;

/** A repeated query parameter arrives as an array; its first value counts. */
function firstOf(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/** Mattermost's `page`: from 0; absent, negative or not a number means 0, as there; too large means `MAX_PAGE`. */
export function pageOf(value: unknown): number {
  return Math.min(MAX_PAGE, Math.max(0, Number.parseInt(firstOf(value) ?? '0', 10) || 0));
}

/** Mattermost's `per_page`: absent, zero or not a number means 60; clamped to 1..200. */
export function perPageOf(value: unknown): number {
  return Math.min(PER_PAGE_MAX, Math.max(1, Number.parseInt(firstOf(value) ?? '', 10) || PER_PAGE_DEFAULT));
}

/**
 * `?page=&per_page=` of every paged route. Any value is accepted and clamped (Mattermost answers a bad page number
 * with its default, not a 400), so the validators below only state what the handler is given.
 */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0, description: 'From 0; not a number means 0' })
  @Transform(({ value }) => pageOf(value))
  @IsInt()
  @Min(0)
  @Max(MAX_PAGE)
  page: number = 0;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: PER_PAGE_MAX, default: PER_PAGE_DEFAULT })
  @Transform(({ value }) => perPageOf(value))
  @IsInt()
  @Min(1)
  @Max(PER_PAGE_MAX)
  per_page: number = PER_PAGE_DEFAULT;

  /** Rows to skip: page × per_page, an exact integer at the limits above. */
  get skip(): number {
    return this.page * this.per_page;
  }

  get take(): number {
    return this.per_page;
  }
}
