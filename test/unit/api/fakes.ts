import rawConfig from '../../../config/onboarding.json' with { type: 'json' };
import type { ApiDeps, HttpRequest } from '../../../src/api/http.ts';
import {
  type OnboardingStarter,
  type OnboardingStatusReader,
  RequestIdConflictError,
} from '../../../src/api/onboardings.ts';
import { parseOnboardingConfig } from '../../../src/config.ts';
import type { ExecutionOutcome } from '../../../src/execution/outcome.ts';
import type { AcceptedEntry, EndedEntry, RequestItem, RequestLedger } from '../../../src/ledger/items.ts';
import type { LedgerLister, ListedPage, ListQuery } from '../../../src/ledger/list.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';

export const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
export const WEBHOOK_SECRET = 'unit-webhook-secret';
export const API_TOKEN = 'unit-api-token';
export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A state machine in memory: idempotent by request id and input, 409 on another input. */
export function fakeOnboardings() {
  const started: { requestId: string; input: string }[] = [];
  const byId = new Map<string, string>();
  const starter: OnboardingStarter = {
    start: async (requestId, input) => {
      const existing = byId.get(requestId);
      if (existing !== undefined && existing !== input) {
        throw new RequestIdConflictError(`request id ${requestId} was already used with a different request`);
      }
      if (existing === undefined) {
        byId.set(requestId, input);
        started.push({ requestId, input });
      }
      return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:onboarding:${requestId}` };
    },
  };
  const reports = new Map<string, ExecutionOutcome>();
  const statusReader: OnboardingStatusReader = { status: async (id) => reports.get(id) };
  return { started, starter, statusReader, reports };
}

/** Records what the entry points write (the ledger's own behaviour is tested against dynalite). */
export function fakeLedger() {
  const accepted: AcceptedEntry[] = [];
  const ended: EndedEntry[] = [];
  const ledger: Pick<RequestLedger, 'recordAccepted' | 'recordEnded'> = {
    recordAccepted: async (entry) => {
      accepted.push(entry);
      return { recorded: true };
    },
    recordEnded: async (entry) => {
      ended.push(entry);
      return { recorded: true };
    },
  };
  return { accepted, ended, ledger };
}

/** The listing, answering each query with the next of `pages` (the ledger's own Query is tested on dynalite). */
export function fakeLister(pages: ListedPage[] = []) {
  const queries: ListQuery[] = [];
  const lister: Pick<LedgerLister, 'list'> = {
    list: async (query = {}) => {
      queries.push(query);
      return pages.shift() ?? { items: [] };
    },
  };
  return { queries, lister };
}

export const requestItem = (requestId: string, over: Partial<RequestItem> = {}): RequestItem => ({
  pk: `REQUEST#${requestId}`,
  sk: 'REQUEST',
  itemType: 'request',
  requestId,
  executionArn: `arn:aws:states:us-east-1:123456789012:execution:onboarding:${requestId}`,
  status: 'RUNNING',
  statusAt: NOW,
  startedAt: new Date(NOW).toISOString(),
  updatedAt: new Date(NOW).toISOString(),
  ...over,
});

export function apiDeps(over: Partial<ApiDeps> = {}) {
  const fake = fakeOnboardings();
  const ledger = fakeLedger();
  const listing = fakeLister();
  const logged: unknown[] = [];
  const deps: ApiDeps = {
    config,
    callbackPolicy: { stage: 'prod', allowedHosts: ['tickets.example.com'] },
    starter: fake.starter,
    statusReader: fake.statusReader,
    ledger: ledger.ledger,
    lister: listing.lister,
    credentials: async () => ({ webhookSecret: WEBHOOK_SECRET, apiToken: API_TOKEN }),
    baseUrl: 'https://api.example.com',
    now: () => NOW,
    log: (e) => logged.push(e),
    ...over,
  };
  return { deps, fake, logged, ledger, listing };
}

export const post = (
  rawBody: string,
  headers: Record<string, string> = {},
  path = '/onboardings',
): HttpRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json', ...headers },
  rawBody,
});

export const validRequest = {
  requestId: 'HR-1',
  userName: 'alice',
  profile: 'developers',
  contact: { recipient: TEST_HIRE_RECIPIENT },
  policyArns: ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser'],
};
