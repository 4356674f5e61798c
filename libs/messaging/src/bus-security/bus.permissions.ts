import { BUS_GRANTS, BUS_PROVISIONER, BUS_SERVICES, BUS_SUBSCRIBER, STREAM_NAME, STREAM_SUBJECTS, isBusService, type BusService } from '@certflow/contracts';
import { consumerName } from '../delivery.policy';

/** One identity's NATS permissions, as nats-server's configuration spells them. */
export interface NatsPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[]; deny?: string[] };
  /** May answer the requests it receives (RPC responders), on their reply subject only. */
  allow_responses?: boolean;
}

const API = '$JS.API';

/** What no identity but the provisioner needs: reading single messages, deleting or purging the stream. */
const DANGEROUS = [`${API}.STREAM.MSG.GET.>`, `${API}.DIRECT.GET.>`, `${API}.STREAM.DELETE.>`, `${API}.STREAM.PURGE.>`];

/**
 * The private inbox of an identity: replies to its questions, JetStream API answers and pulled
 * messages arrive under it, and nobody else may subscribe there.
 */
export function inboxPrefixOf(identity: string): string {
  return `_INBOX_${identity}`;
}

/** The JetStream API subjects a durable pull consumer `name` needs: create, look up, pull, ack. */
function consumerApi(name: string): string[] {
  return [
    // nats.js uses CREATE.<stream>.<name>.<filter> on servers ≥ 2.9, DURABLE.CREATE on older ones.
    `${API}.CONSUMER.CREATE.${STREAM_NAME}.${name}`,
    `${API}.CONSUMER.CREATE.${STREAM_NAME}.${name}.>`,
    `${API}.CONSUMER.DURABLE.CREATE.${STREAM_NAME}.${name}`,
    `${API}.CONSUMER.INFO.${STREAM_NAME}.${name}`,
    `${API}.CONSUMER.MSG.NEXT.${STREAM_NAME}.${name}`,
    `$JS.ACK.${STREAM_NAME}.${name}.>`,
  ];
}

/** Every durable consumer name a service owns, derived exactly as the transport derives it. */
export function durableNamesOf(service: BusService): string[] {
  return BUS_GRANTS[service].consumes.map((subject) => consumerName(service, subject));
}

/**
 * A service may publish only the events it owns and ask only the questions it asks; it may use only
 * its own durable consumers, answer only its own RPC subjects, and read the stream's info to know it
 * is there. It can neither read single messages off the stream nor create, change or delete it.
 */
export function servicePermissions(service: BusService): NatsPermissions {
  const grant = BUS_GRANTS[service];
  const consumers = durableNamesOf(service).flatMap(consumerApi);
  return {
    publish: {
      allow: [...grant.publishes, ...grant.calls, `${API}.INFO`, `${API}.STREAM.INFO.${STREAM_NAME}`, ...consumers],
      deny: DANGEROUS,
    },
    subscribe: { allow: [`${inboxPrefixOf(service)}.>`, ...grant.serves, ...grant.observes] },
    ...(grant.serves.length > 0 ? { allow_responses: true } : {}),
  };
}

/**
 * Read-only: may subscribe to `certflow.>` and keep consumers of its own (any name that is not a
 * service's durable, so it can neither steal a service's messages nor ack them), never publish an
 * event or touch the stream.
 */
export function subscriberPermissions(): NatsPermissions {
  const serviceDurables = BUS_SERVICES.flatMap(durableNamesOf);
  return {
    publish: {
      allow: [
        `${API}.INFO`,
        `${API}.STREAM.INFO.${STREAM_NAME}`,
        `${API}.CONSUMER.CREATE.${STREAM_NAME}.*`,
        `${API}.CONSUMER.CREATE.${STREAM_NAME}.*.>`,
        `${API}.CONSUMER.DURABLE.CREATE.${STREAM_NAME}.*`,
        `${API}.CONSUMER.INFO.${STREAM_NAME}.*`,
        `${API}.CONSUMER.DELETE.${STREAM_NAME}.*`,
        `${API}.CONSUMER.MSG.NEXT.${STREAM_NAME}.*`,
        `$JS.ACK.${STREAM_NAME}.>`,
      ],
      deny: [...DANGEROUS, ...serviceDurables.flatMap((d) => [...consumerApi(d), `${API}.CONSUMER.DELETE.${STREAM_NAME}.${d}`])],
    },
    subscribe: { allow: [`${inboxPrefixOf(BUS_SUBSCRIBER)}.>`, ...STREAM_SUBJECTS] },
  };
}

/** Creates and updates the stream (and reads it back); nothing else. Used by the start-up step only. */
export function provisionerPermissions(): NatsPermissions {
  return {
    publish: {
      allow: [
        `${API}.INFO`,
        `${API}.STREAM.INFO.${STREAM_NAME}`,
        `${API}.STREAM.CREATE.${STREAM_NAME}`,
        `${API}.STREAM.UPDATE.${STREAM_NAME}`,
        `${API}.STREAM.NAMES`,
      ],
      deny: [`${API}.STREAM.DELETE.>`, `${API}.STREAM.PURGE.>`],
    },
    subscribe: { allow: [`${inboxPrefixOf(BUS_PROVISIONER)}.>`] },
  };
}

/** The permissions of any certflow identity by name. */
export function permissionsOf(identity: string): NatsPermissions {
  if (isBusService(identity)) return servicePermissions(identity);
  if (identity === BUS_SUBSCRIBER) return subscriberPermissions();
  if (identity === BUS_PROVISIONER) return provisionerPermissions();
  throw new Error(`no NATS permissions are defined for identity "${identity}"`);
}

/** The identities a certflow deployment has: the four services, the provisioner and the subscriber. */
export const CERTFLOW_IDENTITIES: readonly string[] = [...BUS_SERVICES, BUS_PROVISIONER, BUS_SUBSCRIBER];
