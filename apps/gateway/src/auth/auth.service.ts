import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, AppError, Bus } from '@fedchat/common';
import { AuthChanged } from '@fedchat/contracts';
import { InjectRepository } from '@nestjs/typeorm';
import { hashToken, isValidId, newId } from '@fedchat/crypto';
import { hydrate, preparedQuery, returning, Session, User } from '@fedchat/models';
import { Not, Repository } from 'typeorm';
import type { Request } from 'express';
import { locateToken } from './token';
import { verifyPassword } from './password';
import { CallerCache } from './caller-cache';

/** Who is calling: the user and the session (or personal access token) that authenticated the request. */
export interface AuthContext {
  user: User;
  sessionId: string;
  /** Set when authenticated with a personal access token. */
  accessTokenId?: string;
  /** Set when the token came in the session cookie: then every non-GET request needs the session's CSRF token. */
  fromCookie?: boolean;
  /** The session's CSRF token ('' for personal access tokens). */
  csrfToken?: string;
}

/** Methods a browser may send cross-site without harm; Mattermost checks CSRF on every other one. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const SESSION_LENGTH_MS = 30 * 24 * 3600 * 1000;

/**
 * A session or an active personal access token of a token hash ($1), with its user's columns (null if gone). The
 * columns are named, not `u.*`: a prepared `*` changes its result type when a newer version adds a column, and
 * PostgreSQL then refuses the statement on every connection that prepared it.
 */
function authenticateSql(userColumns: string[]): string {
  const user = userColumns.map((column) => `u.${column}`).join(', ');
  return `SELECT 'session' AS credential_kind, s.id AS credential_id, s.expires_at AS credential_expires_at,
      s.props->>'csrf' AS credential_csrf, ${user}
    FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1
    UNION ALL
    SELECT 'token', t.id, 0, NULL, ${user}
    FROM user_access_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.is_active`;
}

type CredentialRow = Record<string, unknown> & {
  credential_kind: 'session' | 'token';
  credential_id: string;
  credential_expires_at: number | string;
  credential_csrf: string | null;
};

@Injectable()
export class AuthService {
  private readonly byRequest = new WeakMap<Request, Promise<AuthContext | undefined>>();
  private authenticateSql?: string;
  private readonly callers = new CallerCache();

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
  ) {}

  /**
   * A user's sessions, tokens or user row changed (committed): their next request, here and in every other gateway
   * process, reads them again. Every writer of those rows in the gateway calls this.
   */
  changed(userId: string): void {
    this.forgetCallers(userId);
    this.bus.emit(AuthChanged, { user_id: userId });
  }

  /** Drops this process's cached callers of a user (`chat.auth.changed` from any process). */
  forgetCallers(userId: string): void {
    this.callers.forgetUser(userId);
  }

  /** Checks the credentials and opens a session; returns the user and the session token (shown once). */
  async login(
    loginId: string,
    password: string,
    deviceId = '',
  ): Promise<{ user: User; token: string; csrfToken: string; expiresAt: number }> {
    const login = loginId.trim().toLowerCase();
    const user = await this.users.findOne({ where: [{ username: login }, { email: login }] });
    // The same error and similar work whether the user exists or not, so logins do not reveal accounts.
    const ok =
      user && user.password !== '' && user.remote_id === '' ? await this.checkPassword(user, password) : await dummyCheck(password);
    if (!user || !ok) {
      throw new AppError('api.user.login.invalid_credentials_email_username', 'Enter a valid email or username and/or password.', 401);
    }
    if (user.delete_at > 0)
      throw new AppError('api.user.login.inactive.app_error', 'Login failed because your account has been deactivated.', 401);
    const token = newId();
    const csrfToken = newId();
    const now = Date.now();
    await this.sessions.insert({
      id: newId(),
      token_hash: hashToken(token),
      create_at: now,
      expires_at: now + SESSION_LENGTH_MS,
      last_activity_at: now,
      user_id: user.id,
      device_id: deviceId,
      roles: user.roles,
      is_oauth: false,
      props: { csrf: csrfToken },
    });
    return { user, token, csrfToken, expiresAt: now + SESSION_LENGTH_MS };
  }

  /**
   * Checks a local user's password under Mattermost's lockout (MaximumLoginAttempts): once a user has that many failed
   * checks in a row, every check is refused without hashing, the right password too. The lock ends when an admin sets
   * a new password or, beyond Mattermost, LOGIN_LOCKOUT_DURATION_MS after the last failure (so that strangers cannot
   * lock an account for good). Every password check (login, password change) goes through here. The attempt is
   * counted before hashing, in one UPDATE, so that concurrent guesses cannot exceed the limit; a success resets it.
   */
  async checkPassword(user: User, password: string): Promise<boolean> {
    const { maximumLoginAttempts: max, loginLockoutDurationMs: lockMs } = this.config.service;
    const now = Date.now();
    const lockEndedBefore = lockMs > 0 ? now - lockMs : -1;
    const reserved = await returning<{ failed_attempts: number }>(
      this.users.manager,
      `UPDATE users
          SET failed_attempts = CASE WHEN last_failed_attempt_at <= $3 THEN 1 ELSE failed_attempts + 1 END,
              last_failed_attempt_at = $4
        WHERE id = $1 AND (failed_attempts < $2 OR last_failed_attempt_at <= $3)
      RETURNING failed_attempts`,
      [user.id, max, lockEndedBefore, now],
    );
    if (reserved.length === 0) {
      throw new AppError(
        'api.user.check_user_login_attempts.too_many.app_error',
        'Your account is locked because of too many failed password attempts. Please reset your password.',
        401,
      );
    }
    const ok = await verifyPassword(password, user.password);
    if (ok) await this.users.update({ id: user.id }, { failed_attempts: 0, last_failed_attempt_at: 0 });
    return ok;
  }

  async logout(sessionId: string, userId: string): Promise<void> {
    await this.sessions.delete({ id: sessionId });
    this.changed(userId);
  }

  /**
   * The caller of a request by its bearer token, looked up once per request: the rate limiter (which keys on the
   * user) and the auth guard both ask, in either order.
   */
  authenticateRequest(req: Request): Promise<AuthContext | undefined> {
    let found = this.byRequest.get(req);
    if (!found) {
      const located = locateToken(req);
      found = located
        ? this.authenticate(located.token).then((auth) => auth && { ...auth, fromCookie: located.location === 'cookie' })
        : Promise.resolve(undefined);
      this.byRequest.set(req, found);
    }
    return found;
  }

  /**
   * Resolves a bearer token (session or personal access token) to its user, or undefined. Every API request asks:
   * a caller seen before comes from this process's cache (no statement; see CallerCache for its invalidation),
   * otherwise it is one statement, the session or the token with its user. A session wins over a token of the same
   * hash.
   */
  async authenticate(token: string): Promise<AuthContext | undefined> {
    if (!isValidId(token)) return undefined;
    const tokenHash = hashToken(token);
    const now = Date.now();
    const cached = this.callers.get(tokenHash, now);
    if (cached) return withOwnUser(cached);
    const begunAt = this.callers.begin();
    const dataSource = this.users.manager.connection;
    this.authenticateSql ??= authenticateSql(dataSource.getMetadata(User).columns.map((column) => column.databaseName));
    const rows = await preparedQuery<CredentialRow>(dataSource, 'auth.authenticate', this.authenticateSql, [tokenHash]);
    const row = rows.find((r) => r.credential_kind === 'session') ?? rows[0];
    if (!row) return undefined;
    const expiresAt = row.credential_kind === 'session' ? Number(row.credential_expires_at) : 0;
    if (expiresAt !== 0 && expiresAt < Date.now()) {
      await this.sessions.delete({ id: row.credential_id });
      return undefined;
    }
    const user = hydrate(dataSource, User, row);
    if (!user || user.delete_at !== 0) return undefined;
    const auth: AuthContext =
      row.credential_kind === 'session'
        ? { user, sessionId: row.credential_id, csrfToken: row.credential_csrf ?? '' }
        : { user, sessionId: row.credential_id, accessTokenId: row.credential_id };
    this.callers.put(tokenHash, auth, expiresAt, begunAt, now);
    return withOwnUser(auth);
  }

  /**
   * Mattermost's CSRF rule for cookie-authenticated requests: a request that changes something must carry the
   * session's token in `X-CSRF-Token`, or `X-Requested-With: XMLHttpRequest` (which a cross-site form cannot set);
   * anything else is refused as an expired session, as Mattermost does. Header tokens need no check.
   */
  csrfRefusal(req: Request, auth: AuthContext): AppError | undefined {
    if (!auth.fromCookie || SAFE_METHODS.has(req.method)) return undefined;
    const header = req.headers['x-csrf-token'];
    if (typeof header === 'string' && auth.csrfToken && header === auth.csrfToken) return undefined;
    if (req.headers['x-requested-with'] === 'XMLHttpRequest') return undefined;
    return AppError.unauthorized('api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
  }

  /** Mattermost's `PUT /users/sessions/device`: the session now belongs to that device; older sessions of it end. */
  async attachDevice(auth: AuthContext, deviceId: string): Promise<void> {
    if (auth.accessTokenId) throw AppError.invalidParam('session');
    await this.sessions.delete({ user_id: auth.user.id, device_id: deviceId, id: Not(auth.sessionId) });
    await this.sessions.update({ id: auth.sessionId }, { device_id: deviceId });
    this.changed(auth.user.id);
  }

  /** Ends every session of a user (password change, deactivation), but the one to keep if given. */
  async revokeAllSessions(userId: string, keepSessionId?: string): Promise<void> {
    await this.sessions.delete(keepSessionId ? { user_id: userId, id: Not(keepSessionId) } : { user_id: userId });
    this.changed(userId);
  }
}

/** A cached caller with a user object of its own: handlers may change the one they are given (e.g. `Object.assign`). */
function withOwnUser(auth: AuthContext): AuthContext {
  return { ...auth, user: Object.assign(Object.create(Object.getPrototypeOf(auth.user) as object) as User, auth.user) };
}

/** A valid hash of a random password, verified against when the user does not exist. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** The work of a password check for a login that cannot succeed (unknown or remote user), always false. */
async function dummyCheck(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}
