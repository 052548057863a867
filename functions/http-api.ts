import { makeHttpApiHandler } from '../src/api/lambda.ts';

/** POST /onboardings[/jira|/servicenow] and GET /onboardings/{requestId}, behind API Gateway. */
export const handler = makeHttpApiHandler();
