import type { Role } from './permissions';

/** A live token found by its secret: who is calling and what they may touch. */
export interface TokenIdentity {
  id: string;
  name: string;
  role: Role;
  hosts: string[];
}

/**
 * What the guard needs of the token store: the live token behind a secret, or null (unknown or
 * revoked). A port so that auth/ does not import tokens/, which imports auth/ for its roles and routes.
 */
export interface TokenAuthenticator {
  authenticate(secret: string, now: Date): Promise<TokenIdentity | null>;
}

/** Injection token of the {@link TokenAuthenticator} (the access module binds it to TokenStore). */
export const TOKEN_AUTHENTICATOR = 'TOKEN_AUTHENTICATOR';
