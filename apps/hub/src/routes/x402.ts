import { type AppDeps, AppError, encodeX402Header, httpStatusOf, x402Access } from '@ppv/core';
import { withTenant } from '@ppv/db';
import express from 'express';
import { requireAuth } from '../middleware/auth';
import { requestMeta } from './trpc';

const VIDEO_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /x402/videos/:videoId/access`: a playback session for a signed-in viewer (session cookie or
 * API token), paid over HTTP 402 (x402 v2) when they have no access yet. Without `PAYMENT-SIGNATURE`
 * (or with a refused one) the answer is 402 with `PAYMENT-REQUIRED`; with a good one the payment is
 * settled through the splitter and the answer is 200 with `PAYMENT-RESPONSE` and the session, as
 * `playback.start` returns it (202 while the payment waits for confirmations).
 */
export function x402Routes(deps: AppDeps): express.Router {
  const router = express.Router();
  router.get('/x402/videos/:videoId/access', requireAuth(deps), async (req, res, next) => {
    const videoId = String(req.params.videoId);
    res.set('cache-control', 'no-store');
    if (!VIDEO_ID.test(videoId)) {
      res.status(404).json({ error: { message: 'Video was not found', code: 'NOT_FOUND' } });
      return;
    }
    const tenantId = req.tenant.id;
    try {
      const result = await withTenant(deps.orm, tenantId, (em) =>
        x402Access(
          { ...deps, em, tenantId },
          {
            auth: req.auth!,
            videoId,
            resourceUrl: `${req.protocol}://${req.get('host')}${req.originalUrl}`,
            paymentHeader: req.get('payment-signature'),
            req: requestMeta(req),
          },
        ),
      );
      res.set('access-control-expose-headers', 'PAYMENT-REQUIRED, PAYMENT-RESPONSE');
      if (result.kind === 'payment_required') {
        req.log.info({ reason: result.reason, videoId }, result.message);
        res
          .status(402)
          .set('payment-required', encodeX402Header(result.paymentRequired))
          .json({ error: { message: result.message, code: 'PAYMENT_REQUIRED', reason: result.reason } });
        return;
      }
      if (result.kind === 'settled_pending') {
        res
          .status(202)
          .set('payment-response', encodeX402Header(result.settlement))
          .json({ status: 'pending', message: result.message });
        return;
      }
      if (result.settlement) res.set('payment-response', encodeX402Header(result.settlement));
      res.json(result.playback);
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      req.log.info({ code: error.code, videoId }, error.message);
      res.status(httpStatusOf[error.code]).json({ error: { message: error.message, code: error.code } });
    }
  });
  return router;
}
