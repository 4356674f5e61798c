import { BUS_GRANTS, BUS_SERVICES, ChainCompleteV1, IssuerCaPublishedV1, RequestSubmittedV1, RPC } from '@certflow/contracts';
import { consumerName } from '../delivery.policy';
import { inboxPrefixOf, permissionsOf, provisionerPermissions, servicePermissions, subscriberPermissions } from './bus.permissions';
import { renderNatsServerConfig } from './nats-server.config';

/** NATS subject matching: `*` is one token, `>` the rest (one or more tokens). */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** What nats-server decides: allowed by some allow, denied by no deny. */
function may(rule: { allow: string[]; deny?: string[] }, subject: string): boolean {
  return rule.allow.some((a) => matches(a, subject)) && !(rule.deny ?? []).some((d) => matches(d, subject));
}

describe('bus permissions', () => {
  describe('when a service publishes', () => {
    it.each(BUS_SERVICES)('%s may publish exactly the events its grant names', (service) => {
      const p = servicePermissions(service);
      for (const s of BUS_SERVICES.flatMap((x) => BUS_GRANTS[x].publishes)) {
        expect([s, may(p.publish, s)]).toEqual([s, BUS_GRANTS[service].publishes.includes(s)]);
      }
    });

    it('keeps chain.complete to trust-validation and the CA publication to ca-gateway', () => {
      expect(BUS_SERVICES.filter((s) => may(servicePermissions(s).publish, ChainCompleteV1.subject))).toEqual(['trust-validation']);
      expect(BUS_SERVICES.filter((s) => may(servicePermissions(s).publish, IssuerCaPublishedV1.subject))).toEqual(['ca-gateway']);
      expect(BUS_SERVICES.filter((s) => may(servicePermissions(s).publish, RequestSubmittedV1.subject))).toEqual(['request']);
    });

    it.each(BUS_SERVICES)('%s may not read single messages, nor delete, purge, create or update the stream', (service) => {
      const p = servicePermissions(service).publish;
      for (const api of ['STREAM.MSG.GET.CERTFLOW', 'DIRECT.GET.CERTFLOW', 'STREAM.DELETE.CERTFLOW', 'STREAM.PURGE.CERTFLOW', 'STREAM.CREATE.CERTFLOW', 'STREAM.UPDATE.CERTFLOW']) {
        expect([api, may(p, `$JS.API.${api}`)]).toEqual([api, false]);
      }
    });
  });

  describe('when a service consumes', () => {
    it.each(BUS_SERVICES)('%s may create, look up, pull and ack its own durable consumers and no other', (service) => {
      const p = servicePermissions(service).publish;
      for (const owner of BUS_SERVICES) {
        for (const subject of BUS_GRANTS[owner].consumes) {
          const d = consumerName(owner, subject);
          const own = owner === service;
          expect([d, may(p, `$JS.API.CONSUMER.CREATE.CERTFLOW.${d}.${subject}`)]).toEqual([d, own]);
          expect([d, may(p, `$JS.API.CONSUMER.INFO.CERTFLOW.${d}`)]).toEqual([d, own]);
          expect([d, may(p, `$JS.API.CONSUMER.MSG.NEXT.CERTFLOW.${d}`)]).toEqual([d, own]);
          expect([d, may(p, `$JS.ACK.CERTFLOW.${d}.1.2.3.4.5`)]).toEqual([d, own]);
        }
      }
      expect(may(p, '$JS.API.CONSUMER.CREATE.CERTFLOW.spy')).toBe(false);
      expect(may(p, '$JS.API.CONSUMER.DELETE.CERTFLOW.spy')).toBe(false);
    });

    it.each(BUS_SERVICES)('%s hears only its private inbox, the questions it answers, and (request, for the console) certflow.>', (service) => {
      const p = servicePermissions(service).subscribe;
      expect(may(p, `${inboxPrefixOf(service)}.abc.1`)).toBe(true);
      expect(may(p, '_INBOX.abc.1')).toBe(false);
      expect(may(p, `${inboxPrefixOf(BUS_SERVICES.find((s) => s !== service)!)}.abc.1`)).toBe(false);
      expect(may(p, 'certflow.certificate.issued.v1')).toBe(service === 'request');
      expect(may(p, RPC.trustImport)).toBe(service === 'trust-validation');
      expect(may(p, RPC.hostAssignments)).toBe(service === 'assignment');
    });

    it('lets only responders answer on reply subjects', () => {
      expect(BUS_SERVICES.filter((s) => servicePermissions(s).allow_responses)).toEqual([...BUS_SERVICES]);
      expect(subscriberPermissions().allow_responses).toBeUndefined();
      expect(provisionerPermissions().allow_responses).toBeUndefined();
    });
  });

  describe('when the subscriber reads', () => {
    const p = subscriberPermissions();

    it('may read certflow.> and keep consumers of its own', () => {
      expect(may(p.subscribe, 'certflow.certificate.assigned.v1')).toBe(true);
      expect(may(p.publish, '$JS.API.CONSUMER.CREATE.CERTFLOW.dashboard.certflow.>')).toBe(true);
      expect(may(p.publish, '$JS.API.CONSUMER.MSG.NEXT.CERTFLOW.dashboard')).toBe(true);
      expect(may(p.publish, '$JS.ACK.CERTFLOW.dashboard.1.2.3.4.5')).toBe(true);
    });

    it('may publish no event and touch no service consumer', () => {
      for (const s of BUS_SERVICES.flatMap((x) => BUS_GRANTS[x].publishes)) expect([s, may(p.publish, s)]).toEqual([s, false]);
      for (const service of BUS_SERVICES) {
        for (const subject of BUS_GRANTS[service].consumes) {
          const d = consumerName(service, subject);
          for (const api of [`$JS.API.CONSUMER.CREATE.CERTFLOW.${d}`, `$JS.API.CONSUMER.INFO.CERTFLOW.${d}`, `$JS.API.CONSUMER.MSG.NEXT.CERTFLOW.${d}`, `$JS.API.CONSUMER.DELETE.CERTFLOW.${d}`, `$JS.ACK.CERTFLOW.${d}.1.2.3.4.5`]) {
            expect([api, may(p.publish, api)]).toEqual([api, false]);
          }
        }
      }
    });
  });

  describe('when the provisioner runs', () => {
    it('may create and update the stream, and not delete or purge it', () => {
      const p = provisionerPermissions().publish;
      expect(may(p, '$JS.API.STREAM.CREATE.CERTFLOW')).toBe(true);
      expect(may(p, '$JS.API.STREAM.UPDATE.CERTFLOW')).toBe(true);
      expect(may(p, '$JS.API.STREAM.DELETE.CERTFLOW')).toBe(false);
      expect(may(p, '$JS.API.STREAM.PURGE.CERTFLOW')).toBe(false);
      expect(may(p, 'certflow.request.submitted.v1')).toBe(false);
    });
  });

  it('knows no identity it was not told of', () => {
    expect(() => permissionsOf('stranger')).toThrow(/no NATS permissions/);
  });

  describe('renderNatsServerConfig', () => {
    it('writes JSON with every identity and no anonymous user', () => {
      const text = renderNatsServerConfig({ host: '127.0.0.1', port: 4222, storeDir: '/tmp/js', users: [{ nkey: 'UABC', permissions: permissionsOf('request') }] });
      const config = JSON.parse(text);
      expect(config.authorization.users).toEqual([{ nkey: 'UABC', permissions: permissionsOf('request') }]);
      expect(config).not.toHaveProperty('no_auth_user');
      expect(config.jetstream).toEqual({ store_dir: '/tmp/js' });
    });

    it('refuses a configuration without identities', () => {
      expect(() => renderNatsServerConfig({ host: '127.0.0.1', port: 4222, storeDir: '/tmp/js', users: [] })).toThrow(/anonymous/);
    });
  });
});
