import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegisteredPrincipal } from './authz.ts';
import type { CallFilter, CallStats } from './calls.ts';
import { type FaultSpec, InvalidFaultError, validateFault } from './faults.ts';
import type { ConsistencySettings } from './iam/index.ts';
import { type EmulatorState, InvalidStateError } from './state.ts';

/**
 * The control endpoints under /_emulator/: the account (read, seed, reset), the faults (arm, list,
 * clear) and the call counters (all, one caller's, or by caller), as JSON, for tests in other
 * processes and for curl.
 */

export interface ControlTarget {
  consistency: {
    get(): ConsistencySettings;
    set(settings: Partial<ConsistencySettings>): void;
  };
  info(): Record<string, unknown>;
  snapshot(): EmulatorState;
  seed(state: unknown): void;
  reset(): void;
  faults: { add(spec: FaultSpec): void; list(): unknown[]; clear(): void };
  calls(filter?: CallFilter): CallStats[];
  callsByCaller(): Record<string, CallStats[]>;
  clearCalls(): void;
  authorization: {
    get(): { enabled: boolean; principals: string[] };
    set(on: boolean): void;
    register(accessKeyId: string, principal: RegisteredPrincipal): void;
  };
}

class NotJsonError extends Error {
  override readonly name = 'NotJson' as const;
}

class BadQueryError extends Error {
  override readonly name = 'BadQuery' as const;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new NotJsonError(`the body is not JSON: ${(error as Error).message}`);
  }
}

export function control(
  target: ControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  raw: string,
): void {
  const json = (status: number, body: unknown) => {
    const text = JSON.stringify(body, null, 2);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const routes: Record<string, Partial<Record<string, () => void>>> = {
    '/_emulator/health': { GET: () => json(200, { ok: true, ...target.info() }) },
    '/_emulator/state': {
      GET: () => json(200, target.snapshot()),
      PUT: () => {
        target.seed(parseJson(raw));
        json(200, { ok: true });
      },
    },
    '/_emulator/reset': {
      POST: () => {
        target.reset();
        json(200, { ok: true });
      },
    },
    '/_emulator/faults': {
      GET: () => json(200, target.faults.list()),
      POST: () => {
        const body = parseJson(raw);
        const specs = (Array.isArray(body) ? body : [body]) as FaultSpec[];
        // Check them all first: a list is armed whole or not at all.
        for (const spec of specs) validateFault(spec);
        for (const spec of specs) target.faults.add(spec);
        json(201, target.faults.list());
      },
      DELETE: () => {
        target.faults.clear();
        json(200, []);
      },
    },
    '/_emulator/consistency': {
      GET: () => json(200, target.consistency.get()),
      PUT: () => {
        target.consistency.set(parseJson(raw) as Partial<ConsistencySettings>);
        json(200, target.consistency.get());
      },
    },
    '/_emulator/authorization': {
      GET: () => json(200, target.authorization.get()),
      PUT: () => {
        const body = parseJson(raw) as { enabled?: unknown };
        if (typeof body?.enabled !== 'boolean')
          throw new BadQueryError('the body is {"enabled": true|false}');
        target.authorization.set(body.enabled);
        json(200, target.authorization.get());
      },
    },
    '/_emulator/principals': {
      POST: () => {
        const body = parseJson(raw) as {
          accessKeyId?: unknown;
          arn?: unknown;
          identityPolicies?: unknown;
          boundary?: unknown;
          unrestricted?: unknown;
        };
        if (typeof body?.accessKeyId !== 'string' || body.accessKeyId === '')
          throw new BadQueryError('"accessKeyId" is a non-empty string');
        if (body.unrestricted === true) {
          target.authorization.register(body.accessKeyId, { unrestricted: true });
        } else {
          if (typeof body.arn !== 'string' || !Array.isArray(body.identityPolicies))
            throw new BadQueryError(
              'a principal is { accessKeyId, arn, identityPolicies: [...], boundary? } or { accessKeyId, unrestricted: true }',
            );
          target.authorization.register(body.accessKeyId, {
            arn: body.arn,
            identityPolicies: body.identityPolicies as { Statement: unknown }[],
            ...(body.boundary && typeof body.boundary === 'object'
              ? { boundary: body.boundary as { Statement: unknown } }
              : {}),
          });
        }
        json(201, target.authorization.get());
      },
    },
    '/_emulator/calls': {
      GET: () => {
        const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
        const caller = query.get('caller');
        const by = query.get('by');
        const unknown = [...query.keys()].filter((k) => k !== 'caller' && k !== 'by');
        if (unknown.length || (caller !== null && by !== null) || (by !== null && by !== 'caller'))
          throw new BadQueryError('GET /_emulator/calls takes ?caller=<access key id> or ?by=caller');
        if (caller === '') throw new BadQueryError('"caller" is an access key id (a non-empty string)');
        if (by === 'caller') return json(200, target.callsByCaller());
        json(200, target.calls(caller === null ? {} : { caller }));
      },
      DELETE: () => {
        target.clearCalls();
        json(200, []);
      },
    },
  };
  const route = routes[path];
  const handler = route?.[req.method ?? 'GET'];
  if (!route) {
    json(404, { error: `no control endpoint ${path}; see packages/aws-emulator/README.md` });
  } else if (!handler) {
    res.setHeader('allow', Object.keys(route).join(', '));
    json(405, { error: `${req.method} ${path} is not allowed; use ${Object.keys(route).join(' or ')}` });
  } else {
    try {
      handler();
    } catch (error) {
      const invalid =
        error instanceof InvalidFaultError ||
        error instanceof InvalidStateError ||
        error instanceof NotJsonError ||
        error instanceof BadQueryError;
      json(invalid ? 400 : 500, { error: invalid ? error.message : String(error) });
    }
  }
}
