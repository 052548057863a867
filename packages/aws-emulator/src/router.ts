import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError, faultType, statusOf } from './errors.ts';
import { queryError, queryResponse, type XmlValue } from './xml.ts';

/**
 * Which service and action a request is for, and how that service speaks. JSON services are addressed
 * by `X-Amz-Target: <prefix>.<Action>`; awsQuery services (form-encoded `Action=...`) by the signing
 * name in the SigV4 credential scope, or, unsigned, by which service has the action.
 */

export interface CallContext {
  region: string;
  /** The access key id the request was signed with (signatures are not checked). */
  accessKeyId?: string;
}

/** An awsQuery service: form-encoded parameters in, XML out (IAM, STS). */
export interface QueryService {
  protocol: 'awsQuery';
  /** The service in the SigV4 credential scope: `.../us-east-1/<signingName>/aws4_request`. */
  signingName: string;
  namespace: string;
  actions: Record<string, (params: URLSearchParams, ctx: CallContext) => XmlValue | Promise<XmlValue>>;
}

/** A JSON service (awsJson1.0/1.1): Secrets Manager, or a Step Functions API registered later. */
export interface JsonService {
  targetPrefix: string;
  contentType: string;
  actions: Record<string, (body: Record<string, unknown>, ctx: CallContext) => unknown | Promise<unknown>>;
  /** How this service spells an injected fault's error (IAM names it); by default as given, HTTP 400. */
  errorFor?: (code: string) => { code: string; status: number };
}

export type EmulatorService = QueryService | JsonService;

export interface Reply {
  status: number;
  contentType: string;
  body: string;
  /** The error code answered, if the call failed. */
  code?: string;
}

export interface Route {
  service: string;
  action: string;
  requestId: string;
  /** The access key id the request was signed with, if it was: faults and counters can be per caller. */
  caller?: string;
  /** The call's parameters (awsQuery) or body (JSON; `{}` if it is not an object): what authorization reads. */
  input(): URLSearchParams | Record<string, unknown>;
  /** Performs the action; an AwsError (or any failure) becomes an error answer in the service's dialect. */
  run(): Promise<Reply>;
  /** An injected error, in the service's dialect. */
  fail(code: string, message: string): Reply;
}

export interface RequestHead {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}

const isJson = (s: EmulatorService): s is JsonService => 'targetPrefix' in s;

const defaultJsonError = (code: string) => {
  const status = statusOf(code);
  return { code, status: status >= 500 ? status : 400 };
};

/** `Credential=AKID/20260101/us-east-1/iam/aws4_request`: the key id and the service it was signed for. */
function credentialScope(headers: IncomingHttpHeaders): { accessKeyId?: string; service?: string } {
  const match = /Credential=([^/,\s]+)\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(
    headers.authorization ?? '',
  );
  return match ? { accessKeyId: match[1], service: match[2] } : {};
}

export class Router {
  private readonly byTarget = new Map<string, { name: string; service: JsonService }>();
  private readonly bySigningName = new Map<string, { name: string; service: QueryService }>();
  private readonly services = new Map<string, EmulatorService>();

  constructor(private readonly region: string) {}

  /** Adds (or replaces) a service under a name; faults and call counts use that name. */
  register(name: string, service: EmulatorService): void {
    this.unregister(name);
    this.services.set(name, service);
    if (isJson(service)) this.byTarget.set(service.targetPrefix, { name, service });
    else this.bySigningName.set(service.signingName, { name, service });
  }

  names(): string[] {
    return [...this.services.keys()];
  }

  private unregister(name: string): void {
    const old = this.services.get(name);
    if (!old) return;
    this.services.delete(name);
    if (isJson(old)) this.byTarget.delete(old.targetPrefix);
    else this.bySigningName.delete(old.signingName);
  }

  /** The route for a request, or an answer at once when no service can take it. */
  resolve(req: RequestHead, raw: string): Route | Reply {
    const requestId = randomUUID();
    const scope = credentialScope(req.headers);
    const ctx: CallContext = {
      region: this.region,
      ...(scope.accessKeyId ? { accessKeyId: scope.accessKeyId } : {}),
    };
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return this.resolveJson(target, raw, ctx, requestId);

    const query = req.method === 'GET' ? ((req.url ?? '').split('?')[1] ?? '') : raw;
    const params = new URLSearchParams(query);
    const action = params.get('Action');
    const fallback = [...this.bySigningName.values()];
    const chosen =
      (scope.service ? this.bySigningName.get(scope.service) : undefined) ??
      (action ? fallback.find((s) => action in s.service.actions) : undefined) ??
      fallback[0];
    if (!chosen)
      return jsonReply(400, 'application/json', 'UnknownOperationException', 'No service for this request');
    const { name, service } = chosen;
    const fail = (code: string, message: string, status = statusOf(code)): Reply => ({
      status,
      contentType: 'text/xml',
      body: queryError(service.namespace, faultType(status), code, message, requestId),
      code,
    });
    if (!action) return fail('MissingAction', 'Missing Action');
    return {
      service: name,
      action,
      requestId,
      ...(ctx.accessKeyId ? { caller: ctx.accessKeyId } : {}),
      fail,
      input: () => params,
      run: async () => {
        const handler = service.actions[action];
        if (!handler) return fail('InvalidAction', `The action ${action} is not valid for this web service.`);
        try {
          const result = await handler(params, ctx);
          return {
            status: 200,
            contentType: 'text/xml',
            body: queryResponse(action, service.namespace, result, requestId),
          };
        } catch (error) {
          if (error instanceof AwsError) return fail(error.code, error.message, error.status);
          return fail('ServiceFailure', `emulator error: ${(error as Error).message}`);
        }
      },
    };
  }

  private resolveJson(target: string, raw: string, ctx: CallContext, requestId: string): Route | Reply {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, Math.max(0, dot));
    const action = target.slice(dot + 1);
    const entry = this.byTarget.get(prefix);
    if (!entry) {
      return jsonReply(
        400,
        'application/x-amz-json-1.1',
        'UnknownOperationException',
        `Unknown target ${target}`,
      );
    }
    const { name, service } = entry;
    const spell = service.errorFor ?? defaultJsonError;
    const error = (code: string, message: string, status: number): Reply =>
      jsonReply(status, service.contentType, code, message);
    const fail = (code: string, message: string): Reply => {
      const spelled = spell(code);
      return error(spelled.code, message, spelled.status);
    };
    return {
      service: name,
      action,
      requestId,
      ...(ctx.accessKeyId ? { caller: ctx.accessKeyId } : {}),
      fail,
      input: () => {
        try {
          const parsed: unknown = JSON.parse(raw || '{}');
          return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
            ? (parsed as Record<string, unknown>)
            : {};
        } catch {
          return {};
        }
      },
      run: async () => {
        const handler = service.actions[action];
        if (!handler) return error('UnknownOperationException', `Unknown operation ${action}`, 400);
        let body: Record<string, unknown>;
        try {
          const parsed: unknown = JSON.parse(raw || '{}');
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
            throw new SyntaxError('not an object');
          body = parsed as Record<string, unknown>;
        } catch {
          return error('SerializationException', 'The request body is not a JSON object.', 400);
        }
        try {
          const result = await handler(body, ctx);
          return { status: 200, contentType: service.contentType, body: JSON.stringify(result ?? {}) };
        } catch (e) {
          // Handlers throw in their own service's spelling; only the status needs JSON's rules.
          if (e instanceof AwsError) return error(e.code, e.message, e.status >= 500 ? e.status : 400);
          return fail('ServiceFailure', `emulator error: ${(e as Error).message}`);
        }
      },
    };
  }
}

function jsonReply(status: number, contentType: string, code: string, message: string): Reply {
  return { status, contentType, body: JSON.stringify({ __type: code, message }), code };
}
