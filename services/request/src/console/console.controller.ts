import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { join } from 'node:path';
import { Public } from '../access/auth/token.guard';
import { CONSOLE_ASSETS, setConsoleHeaders } from './console.assets';

/**
 * The operator console at `/`: one HTML page; its scripts and stylesheet are served from
 * `/console/` (configure-http). Public: the page holds no data; every API call it makes sends the
 * token the operator signed in with.
 */
@ApiExcludeController()
@Controller()
export class ConsoleController {
  @Get()
  @Public()
  index(@Res() res: Response): void {
    setConsoleHeaders(res);
    res.type('html').sendFile(join(CONSOLE_ASSETS, 'index.html'));
  }
}
