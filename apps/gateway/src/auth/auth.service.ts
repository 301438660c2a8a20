import { Injectable } from '@nestjs/common';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import { hashToken, isValidId, newId } from '@fedchat/crypto';
import { Session, User, UserAccessToken } from '@fedchat/models';
import { Repository } from 'typeorm';
import { verifyPassword } from './password';

/** Who is calling: the user and the session (or personal access token) that authenticated the request. */
export interface AuthContext {
  user: User;
  sessionId: string;
  /** Set when authenticated with a personal access token. */
  accessTokenId?: string;
}

const SESSION_LENGTH_MS = 30 * 24 * 3600 * 1000;

@Injectable()
export class AuthService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @InjectRepository(UserAccessToken) private readonly accessTokens: Repository<UserAccessToken>,
  ) {}

  /** Checks the credentials and opens a session; returns the user and the session token (shown once). */
  async login(loginId: string, password: string, deviceId = ''): Promise<{ user: User; token: string }> {
    const login = loginId.trim().toLowerCase();
    const user = await this.users.findOne({ where: [{ username: login }, { email: login }] });
    // The same error and similar work whether the user exists or not, so logins do not reveal accounts.
    const ok = user && user.password !== '' ? await verifyPassword(password, user.password) : await verifyPassword(password, DUMMY_HASH);
    if (!user || !ok || user.remote_id !== '') {
      throw new AppError('api.user.login.invalid_credentials_email_username', 'Enter a valid email or username and/or password.', 401);
    }
    if (user.delete_at > 0)
      throw new AppError('api.user.login.inactive.app_error', 'Login failed because your account has been deactivated.', 401);
    const token = newId();
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
      props: {},
    });
    return { user, token };
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.delete({ id: sessionId });
  }

  /** Resolves a bearer token (session or personal access token) to its user, or undefined. */
  async authenticate(token: string): Promise<AuthContext | undefined> {
    if (!isValidId(token)) return undefined;
    const tokenHash = hashToken(token);
    const session = await this.sessions.findOneBy({ token_hash: tokenHash });
    if (session) {
      if (session.expires_at !== 0 && session.expires_at < Date.now()) {
        await this.sessions.delete({ id: session.id });
        return undefined;
      }
      const user = await this.users.findOneBy({ id: session.user_id });
      return user && user.delete_at === 0 ? { user, sessionId: session.id } : undefined;
    }
    const pat = await this.accessTokens.findOneBy({ token_hash: tokenHash, is_active: true });
    if (!pat) return undefined;
    const user = await this.users.findOneBy({ id: pat.user_id });
    return user && user.delete_at === 0 ? { user, sessionId: pat.id, accessTokenId: pat.id } : undefined;
  }

  /** Ends every session of a user (password change, deactivation). */
  async revokeAllSessions(userId: string): Promise<void> {
    await this.sessions.delete({ user_id: userId });
  }
}

/** A valid hash of a random password, verified against when the user does not exist. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
