import { type AppDeps, AppError, encodeX402Header, httpStatusOf, x402Access } from '@ppv/core';
import express from 'express';
import { requireAuth } from '../middleware/auth';
import { requestMeta } from './trpc';

const VIDEO_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /x402/videos/:videoId/access`: a playback session for a signed-in viewer (session cookie or
 * API token), paid over HTTP 402 when they have no access yet.
 *
 * x402 version 2: the 402 carries `PAYMENT-REQUIRED`; the client pays in `PAYMENT-SIGNATURE`; the
 * 200 carries `PAYMENT-RESPONSE`. Version 1: the requirements are the 402's JSON body; the client
 * pays in `X-PAYMENT`; the 200 carries `X-PAYMENT-RESPONSE`. A 402 answering no payment header has
 * both the version 2 header and the version 1 body, so a client of either version can pay; one
 * answering a refused payment has the header and a body of the payment's own version. The body
 * also has `message`, the refusal in words. The success body is the session, as `playback.start`
 * returns it (202 while the payment waits for confirmations).
 */
export function x402Routes(deps: AppDeps): express.Router {
  const router = express.Router();
  router.get('/x402/videos/:videoId/access', requireAuth(deps), async (req, res, next) => {
    const videoId = String(req.params.videoId);
    res.set('cache-control', 'no-store');
    res.set('access-control-expose-headers', 'PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE');
    if (!VIDEO_ID.test(videoId)) {
      res.status(404).json({ error: { message: 'Video was not found', code: 'NOT_FOUND' } });
      return;
    }
    const v2 = req.get('payment-signature');
    const v1 = req.get('x-payment');
    const payment = v2
      ? { version: 2 as const, header: v2 }
      : v1
        ? { version: 1 as const, header: v1 }
        : null;
    const responseHeader = payment?.version === 1 ? 'x-payment-response' : 'payment-response';
    try {
      const result = await x402Access(
        { ...deps, tenantId: req.tenant.id },
        {
          auth: req.auth!,
          videoId,
          resourceUrl: `${req.protocol}://${req.get('host')}${req.originalUrl}`,
          payment,
          req: requestMeta(req),
        },
      );
      if (result.kind === 'payment_required') {
        req.log.info({ reason: result.reason, videoId }, result.message);
        res.status(402).set('payment-required', encodeX402Header(result.paymentRequired));
        if (result.settlement) res.set(responseHeader, encodeX402Header(result.settlement));
        const body = payment?.version === 2 ? result.paymentRequired : result.paymentRequiredV1;
        res.json({ ...body, message: result.message });
        return;
      }
      if (result.settlement) res.set(responseHeader, encodeX402Header(result.settlement));
      if (result.kind === 'settled_pending') {
        res.status(202).json({ status: 'pending', message: result.message });
        return;
      }
      res.json(result.playback);
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      req.log.info({ code: error.code, videoId }, error.message);
      res.status(httpStatusOf[error.code]).json({ error: { message: error.message, code: error.code } });
    }
  });
  return router;
}
