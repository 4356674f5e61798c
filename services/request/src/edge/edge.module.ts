import { Module } from '@nestjs/common';
import { HostFeedSignals } from './host-events/host-feed.signals';
import { REQUEST_CONFIG, type RequestConfig } from '../config';
import { TrustController } from './trust/trust.controller';
import { PkiController } from './pki/pki.controller';
import { HostsController } from './hosts/hosts.controller';
import { CertificateCatalogService } from './catalog/certificate-catalog.service';
import { CertificatesController } from './catalog/certificates.controller';
import { ISSUER_CONFIGS, IssuersController } from './issuers/issuers.controller';
import { HOST_EVENT_SIGNALS, HostEventStore } from './host-events/host-event.store';
import { HostEventFeed } from './host-events/host-event.feed';
import { HostEventsController } from './host-events/host-events.controller';
import { HOST_EVENT_HANDLERS } from './host-events/host-events.consumer';

/**
 * The HTTP face of the other services: trust stores (trust-validation), host assignments
 * (assignment), the certificates seen (catalog), the configured issuers (ca-gateway's setting) and
 * each host's event feed. Exports the catalog, which the requests module reads certificates from.
 */
@Module({
  controllers: [TrustController, PkiController, HostsController, CertificatesController, IssuersController, HostEventsController, ...HOST_EVENT_HANDLERS],
  providers: [
    { provide: ISSUER_CONFIGS, inject: [REQUEST_CONFIG], useFactory: (config: RequestConfig) => config.issuers },
    CertificateCatalogService,
    // Its own instance: hosts and request ids are different keys.
    { provide: HOST_EVENT_SIGNALS, useValue: new HostFeedSignals() },
    HostEventStore,
    HostEventFeed,
  ],
  exports: [CertificateCatalogService],
})
export class EdgeModule {}
