import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { RequestsModule } from '../certificate-request/requests.module';
import { ConsoleController } from './console.controller';
import { ConsoleEventsController } from './console-events.controller';
import { ConsoleEventsService } from './console-events.service';
import { ConsoleStreams } from './console-streams.registry';

/**
 * The web console (the page and its files) and its live event stream, which re-checks the tokens
 * of open streams (TokenStore), scopes events to the caller's hosts (REQUEST_HOST_LOOKUP) and reads
 * a request's new state through the requests module (RequestStateReader).
 */
@Module({
  imports: [AccessModule, RequestsModule],
  controllers: [ConsoleController, ConsoleEventsController],
  providers: [ConsoleEventsService, ConsoleStreams],
})
export class ConsoleModule {}
