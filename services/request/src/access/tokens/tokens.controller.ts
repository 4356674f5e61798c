import { Body, Controller, Delete, Get, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Allow } from '../auth/allow.decorator';
import type { Caller } from '../auth/token.guard';
import { ErrorDto } from '../../http/error.dto';
import { CreateTokenDto, CreatedTokenDto, TokenDto } from './tokens.dto';
import { TokensService } from './tokens.service';

/** API tokens with a role each; admin only. The secret is shown once, at creation. */
@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @Allow('tokens:manage')
  @ApiOperation({ summary: 'Create a token (admin, trust-admin, requester or agent with host patterns, viewer); the secret is in this answer only' })
  @ApiBody({ type: CreateTokenDto })
  @ApiResponse({ status: 201, type: CreatedTokenDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'INVALID_BODY, UNKNOWN_FIELD, INVALID_TOKEN_NAME, UNKNOWN_ROLE, HOSTS_REQUIRED, HOSTS_NOT_ALLOWED, INVALID_HOST_PATTERN' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'TOKEN_NAME_TAKEN' })
  async create(@Body() body: unknown, @Req() req: Request & { caller?: Caller }) {
    return this.tokens.create(body, req.caller?.name ?? 'unknown');
  }

  @Get()
  @Allow('tokens:manage')
  @ApiOperation({ summary: 'All tokens, live and revoked, newest first; never a secret or its hash' })
  @ApiResponse({ status: 200, type: TokenDto, isArray: true, description: '{items: Token[]}' })
  async list() {
    return { items: await this.tokens.list() };
  }

  @Delete(':id')
  @Allow('tokens:manage')
  @ApiOperation({ summary: 'Revoke a token: from now on it gets 401' })
  @ApiResponse({ status: 200, type: TokenDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'TOKEN_NOT_FOUND' })
  async revoke(@Param('id') id: string, @Req() req: Request & { caller?: Caller }) {
    return this.tokens.revoke(id, req.caller?.name ?? 'unknown');
  }
}
