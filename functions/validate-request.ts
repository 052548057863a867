import type { RuntimeConfig } from '../src/config.ts';
import { lambdaConfig } from '../src/lambda/config.ts';
import { type Provider, validateRequestHandler } from '../src/lambda/handlers.ts';

/** ValidateRequest: schema and allowlists. A bad request fails here and nothing is created. */
export const make = (deps: Provider<{ config: RuntimeConfig }>) => ({
  handler: validateRequestHandler(deps),
});
export const { handler } = make(lambdaConfig);
