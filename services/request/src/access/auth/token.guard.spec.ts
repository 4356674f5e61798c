import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { fixedClock } from '@certflow/testing';
import { ApiError } from '../../http/api-error';
import type { TokenAuthenticator, TokenIdentity } from './token-authenticator';
import { Allow } from './allow.decorator';
import { Public, TokenGuard, type Caller } from './token.guard';
import type { RequestHostLookup } from './request-host.lookup';

const ADMIN = 'a'.repeat(48);

class Routes {
  @Public() health() {}
  @Allow('read') read() {}
  @Allow('read', { host: 'filtered' }) list() {}
  @Allow('read', { host: 'request' }) readRequest() {}
  @Allow('read', { host: 'path' }) hostEvents() {}
  @Allow('catalog:read') issuers() {}
  @Allow('trust:write') importTrust() {}
  @Allow('tokens:manage') tokens() {}
  @Allow('request:submit', { host: 'body' }) submit() {}
  @Allow('request:submit', { host: 'items' }) submitBatch() {}
  @Allow('request:write', { host: 'request' }) assign() {}
  @Allow('request:write') unscoped() {}
  unmarked() {}
}

const live: Record<string, TokenIdentity> = {
  'cft_viewer': { id: 't1', name: 'ops-viewer', role: 'viewer', hosts: [] },
  'cft_trust': { id: 't2', name: 'pki-team', role: 'trust-admin', hosts: [] },
  'cft_req': { id: 't3', name: 'web-ci', role: 'requester', hosts: ['*.web.example.com'] },
  'cft_agent': { id: 't4', name: 'a-host', role: 'agent', hosts: ['a.web.example.com'] },
};
const tokens: TokenAuthenticator = { authenticate: async (secret: string) => live[secret] ?? null };
const requests: RequestHostLookup = {
  hostOf: async (id) => ({ r1: 'a.web.example.com', r2: 'db01.corp.example.com' } as Record<string, string>)[id] ?? null,
  // Stands in for checkCsr: the "CSR" is the list of its names.
  csrNames: async (csr) => csr.split(','),
};
const guard = new TokenGuard(new Reflector(), ADMIN, tokens, requests, fixedClock('2026-01-01T00:00:00Z'));

async function call(route: keyof Routes, token: string | null, req: { body?: unknown; params?: Record<string, string> } = {}) {
  const request = { headers: token === null ? {} : { authorization: `Bearer ${token}` }, ...req } as { caller?: Caller };
  const ctx = {
    getType: () => 'http',
    getHandler: () => Routes.prototype[route],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  try {
    await guard.canActivate(ctx);
    return { status: 200, caller: request.caller };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { status: e.getStatus(), code: e.code, message: (e.getResponse() as { error: { message: string } }).error.message };
  }
}

describe('TokenGuard', () => {
  describe('when no valid token is sent', () => {
    it('answers 401 without a header, with an unknown token, and lets public routes through', async () => {
      expect(await call('read', null)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect(await call('read', 'cft_nope')).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect(await call('health', null)).toMatchObject({ status: 200 });
    });
  });

  describe('when the bootstrap admin token is sent', () => {
    it('may do everything, unmarked routes included, as actor "admin"', async () => {
      for (const r of ['read', 'importTrust', 'tokens', 'submit', 'assign', 'unmarked'] as const) {
        expect(await call(r, ADMIN, { body: { host: 'evil.com', csr: 'evil.com' }, params: { id: 'r2' } })).toMatchObject({ status: 200, caller: { name: 'admin', role: 'admin' } });
      }
    });
  });

  describe('when a role lacks the permission', () => {
    it('answers 403 FORBIDDEN naming the roles that would do', async () => {
      const r = await call('importTrust', 'cft_viewer');
      expect(r).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(r.message).toContain('admin or trust-admin');
      expect(r.message).toContain('viewer');
      expect(await call('tokens', 'cft_trust')).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(await call('submit', 'cft_trust', { body: { host: 'a.web.example.com' } })).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    });
    it('keeps unmarked routes for admin only', async () => {
      expect(await call('unmarked', 'cft_viewer')).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    });
  });

  describe('when a role has the permission', () => {
    it('lets it through with the token name as the caller', async () => {
      expect(await call('read', 'cft_viewer')).toMatchObject({ status: 200, caller: { name: 'ops-viewer', role: 'viewer', tokenId: 't1' } });
      expect(await call('importTrust', 'cft_trust')).toMatchObject({ status: 200, caller: { name: 'pki-team' } });
    });
  });

  describe('when a requester writes', () => {
    it('accepts a new request whose host and CSR names all match its patterns', async () => {
      expect(await call('submit', 'cft_req', { body: { host: 'a.web.example.com', csr: 'a.web.example.com,b.web.example.com' } })).toMatchObject({ status: 200 });
    });
    it('refuses a host outside its patterns with HOST_NOT_ALLOWED', async () => {
      const r = await call('submit', 'cft_req', { body: { host: 'db01.corp.example.com', csr: 'db01.corp.example.com' } });
      expect(r).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
      expect(r.message).toContain('*.web.example.com');
    });
    it('refuses a CSR that smuggles in a name outside its patterns', async () => {
      const r = await call('submit', 'cft_req', { body: { host: 'a.web.example.com', csr: 'a.web.example.com,bank.example.org' } });
      expect(r).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
      expect(r.message).toContain('bank.example.org');
    });
    it('lets a batch through whatever hosts its items name: the route refuses each foreign item in its own slot', async () => {
      const body = { items: [{ host: 'a.web.example.com', csr: 'a.web.example.com' }, { host: 'db01.corp.example.com', csr: 'db01.corp.example.com' }] };
      expect(await call('submitBatch', 'cft_req', { body })).toMatchObject({ status: 200 });
      expect(await call('submitBatch', 'cft_viewer', { body })).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    });
    it('leaves a body without a host to the route (400 there)', async () => {
      expect(await call('submit', 'cft_req', { body: {} })).toMatchObject({ status: 200 });
    });
    it('judges assign and upload by the stored request\'s host', async () => {
      expect(await call('assign', 'cft_req', { params: { id: 'r1' } })).toMatchObject({ status: 200 });
      // Another host's request is answered as a missing one: ids cannot be probed.
      expect(await call('assign', 'cft_req', { params: { id: 'r2' } })).toMatchObject({ status: 404, code: 'REQUEST_NOT_FOUND' });
      expect(await call('assign', 'cft_req', { params: { id: 'missing' } })).toMatchObject({ status: 200 });
    });
    it('refuses a write route that does not say where its host is', async () => {
      expect(await call('unscoped', 'cft_req')).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    });
  });

  describe('when a host-scoped token reads', () => {
    it.each(['cft_req', 'cft_agent'])('%s reads its own host\'s request and answers another\'s as missing', async (token) => {
      expect(await call('readRequest', token, { params: { id: 'r1' } })).toMatchObject({ status: 200 });
      expect(await call('readRequest', token, { params: { id: 'r2' } })).toMatchObject({ status: 404, code: 'REQUEST_NOT_FOUND' });
    });
    it.each(['cft_req', 'cft_agent'])('%s reads its host by path and is refused another host with HOST_NOT_ALLOWED', async (token) => {
      expect(await call('hostEvents', token, { params: { host: 'A.web.example.com' } })).toMatchObject({ status: 200 });
      expect(await call('hostEvents', token, { params: { host: 'db01.corp.example.com' } })).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
    });
    it('lets filtered reads through (the route narrows them) and refuses a read route that does not say how it is scoped', async () => {
      expect(await call('list', 'cft_agent')).toMatchObject({ status: 200, caller: { role: 'agent', hosts: ['a.web.example.com'] } });
      expect(await call('read', 'cft_agent')).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(await call('read', 'cft_req')).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(await call('read', 'cft_viewer')).toMatchObject({ status: 200 });
    });
  });

  describe('when an agent token calls', () => {
    it('may submit for its host and not for another', async () => {
      expect(await call('submit', 'cft_agent', { body: { host: 'a.web.example.com', csr: 'a.web.example.com' } })).toMatchObject({ status: 200 });
      expect(await call('submit', 'cft_agent', { body: { host: 'b.web.example.com', csr: 'b.web.example.com' } })).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
    });
    it('may not assign, touch the trust stores, read the catalogue or manage tokens, even for its own host', async () => {
      for (const r of ['assign', 'importTrust', 'issuers', 'tokens'] as const) {
        expect([r, await call(r, 'cft_agent', { params: { id: 'r1' } })]).toMatchObject([r, { status: 403, code: 'FORBIDDEN' }]);
      }
    });
  });
});
