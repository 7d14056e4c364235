// Read side: GET /v1/report (ranked routes, fields, examples, coverage) and GET /v1/pairs/:id
// (both digests and the diff of one request).

import type { FastifyInstance } from 'fastify';
import { CORRELATION_ID } from '../ingest/wireSchema.js';
import { requireBearerToken } from './bearerAuth.js';
import type { Pipeline } from '../pipeline.js';
import { CollectorError } from './errors.js';
import { PairViewSchema, ReportSchema, type PairView, type Report } from '../report/reportSchema.js';

export const REPORT_PATH = '/v1/report';
export const PAIR_PATH = '/v1/pairs/:id';

interface ReportQuerystring {
  route?: string;
  top?: number;
}

export function registerReportRoutes(app: FastifyInstance, deps: { pipeline: Pipeline; reportToken: string }): void {
  const onRequest = requireBearerToken(deps.reportToken, 'reports (reportToken)');
  app.get<{ Querystring: ReportQuerystring }>(
    REPORT_PATH,
    {
      onRequest,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            route: { type: 'string', minLength: 1, maxLength: 2100 },
            top: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        response: { 200: ReportSchema },
      },
    },
    async (request): Promise<Report> => {
      const { route, top } = request.query;
      if (route !== undefined && !deps.pipeline.hasRoute(route)) {
        throw new CollectorError(
          'ROUTE_NOT_FOUND',
          `no route ${JSON.stringify(route)} in the report (routes look like "GET /orders/{id}")`,
          [{ field: 'querystring.route', message: 'no such route' }],
        );
      }
      return deps.pipeline.report({ route, top });
    },
  );

  // The id rules come from the wire schema, so this endpoint accepts exactly the ids the filter can send.
  app.get<{ Params: { id: string } }>(
    PAIR_PATH,
    {
      onRequest,
      schema: {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, ...CORRELATION_ID } },
        },
        response: { 200: PairViewSchema },
      },
    },
    async (request): Promise<PairView> => {
      const view = deps.pipeline.pair(request.params.id);
      if (view === undefined) {
        throw new CollectorError(
          'PAIR_NOT_FOUND',
          `correlation id ${request.params.id} is unknown or no longer retained (see pairs.keepDiverged / pairs.keepOther)`,
        );
      }
      return view;
    },
  );
}
