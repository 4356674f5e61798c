import { Body, Controller, Get, Header, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NATS_CONNECTION, callRpc, type NatsConnection } from '@certflow/messaging';
import { RPC, type PkiCrlResult, type PkiOcspResult } from '@certflow/contracts';
import { Public } from '../../access/auth/token.guard';
import { ApiError } from '../../http/api-error';
import { ErrorDto } from '../../http/error.dto';

/** The route prefix of the public PKI routes (outside /api/v1: TLS clients call them, with no token). */
export const PKI_ROUTE = '/pki';
/** Largest OCSP request accepted (a request for a few certificates is a few hundred bytes). */
export const OCSP_REQUEST_LIMIT = 10 * 1024;
/** Longest a client or cache may keep a CRL or OCSP answer: revocations reach it within the hour. */
const MAX_AGE_SECONDS = 3600;

const ISSUER_PARAM = { name: 'issuer', description: 'An internal issuer name (e.g. `internal`); any other → 404 ISSUER_NOT_FOUND' };

/**
 * The internal CA's revocation information, under the URLs its leaves carry (CERTFLOW_PUBLIC_URL
 * + /pki/{issuer}/crl and /ocsp). Only ca-gateway holds the CA key: the CRL it keeps and the OCSP
 * answers it signs are fetched by RPC; this service only serves them.
 */
@ApiTags('pki')
@Public()
@Controller('pki')
export class PkiController {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  @Get(':issuer/crl')
  @ApiOperation({ summary: "The issuer's current CRL (DER), signed by the issuing CA; cacheable until nextUpdate, at most an hour" })
  @ApiParam(ISSUER_PARAM)
  @ApiProduces('application/pkix-crl')
  @ApiResponse({ status: 200, description: 'DER CertificateList (v2, CRL number, reason codes)' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'ISSUER_NOT_FOUND: not an internal issuer' })
  async crl(@Param('issuer') issuer: string, @Res() res: Response): Promise<void> {
    const crl = await callRpc<PkiCrlResult>(this.nc, RPC.pkiCrl, { issuer });
    const left = Math.floor((Date.parse(crl.nextUpdate) - Date.now()) / 1000);
    res
      .status(200)
      .type('application/pkix-crl')
      .set('Cache-Control', `public, max-age=${Math.max(0, Math.min(MAX_AGE_SECONDS, left))}`)
      .send(Buffer.from(crl.der, 'base64'));
  }

  @Post(':issuer/ocsp')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'RFC 6960 OCSP: body application/ocsp-request (DER, at most 10 KiB) → application/ocsp-response' })
  @ApiParam(ISSUER_PARAM)
  @ApiBody({ description: 'DER OCSPRequest', schema: { type: 'string', format: 'binary' } })
  @ApiProduces('application/ocsp-response')
  @ApiResponse({ status: 200, description: 'DER OCSPResponse: good / revoked / unknown per CertID, signed, nonce echoed; malformedRequest for bytes that are not a request' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'ISSUER_NOT_FOUND: not an internal issuer' })
  @ApiResponse({ status: 415, type: ErrorDto, description: 'UNSUPPORTED_MEDIA_TYPE: send Content-Type application/ocsp-request' })
  async ocspPost(@Param('issuer') issuer: string, @Body() body: unknown, @Res() res: Response): Promise<void> {
    if (!Buffer.isBuffer(body)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the DER OCSP request with Content-Type: application/ocsp-request');
    await this.ocsp(issuer, body, res);
  }

  @Get(':issuer/ocsp/:request')
  @ApiOperation({ summary: 'RFC 6960 OCSP over GET: the DER request, base64, URL-encoded, as the last path segment' })
  @ApiParam(ISSUER_PARAM)
  @ApiParam({ name: 'request', description: 'base64 of the DER OCSPRequest, URL-encoded' })
  @ApiProduces('application/ocsp-response')
  @ApiResponse({ status: 200, description: 'DER OCSPResponse' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'ISSUER_NOT_FOUND: not an internal issuer' })
  async ocspGet(@Param('issuer') issuer: string, @Param('request') request: string, @Res() res: Response): Promise<void> {
    // A '+' a client did not encode arrives as a space.
    const der = Buffer.from(request.replace(/ /g, '+'), 'base64');
    if (der.length > OCSP_REQUEST_LIMIT) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `an OCSP request may be at most ${OCSP_REQUEST_LIMIT} bytes`);
    res.set('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`);
    await this.ocsp(issuer, der, res);
  }

  private async ocsp(issuer: string, der: Buffer, res: Response): Promise<void> {
    const answer = await callRpc<PkiOcspResult>(this.nc, RPC.pkiOcsp, { issuer, request: der.toString('base64') });
    res.status(200).type('application/ocsp-response').send(Buffer.from(answer.der, 'base64'));
  }
}
