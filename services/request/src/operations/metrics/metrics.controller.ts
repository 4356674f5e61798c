import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { renderMetrics } from '@certflow/runtime';
import { Public } from '../../access/auth/token.guard';

/**
 * Prometheus exposition of this process. Public like /healthz: it shows counts and timings, no
 * request, host or token; keep :8080 on loopback or a trusted network (docs/observability.md).
 */
@ApiTags('health')
@Public()
@Controller()
export class MetricsController {
  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics of the request service (text exposition format)' })
  @Header('cache-control', 'no-store')
  async metrics(@Res() res: Response): Promise<void> {
    const { contentType, body } = await renderMetrics();
    res.type(contentType).send(body);
  }
}
