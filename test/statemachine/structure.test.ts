import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_APPROVAL_SECONDS } from '../../src/config.ts';
import {
  type AslDefinition,
  type AslFile,
  bindTasks,
  functionKeyOf,
  loadAslFile,
  loadServerlessFunctions,
  OFFBOARDING_ASL_PATH,
  PROJECT_ROOT,
  taskStates,
  waitsForTaskToken,
} from '../../src/definition.ts';
import {
  CRASH_ERROR_NAMES,
  DOMAIN_ERROR_NAMES,
  ERROR_CLASSES,
  LAMBDA_THROTTLING_ERROR_NAMES,
  LAMBDA_TRANSIENT_ERROR_NAMES,
  THROTTLING_ERROR_NAMES,
  TRANSIENT_ERROR_NAMES,
} from '../../src/errors.ts';
import { mermaidFromAsl } from '../../src/graph.ts';
import { MAX_GRACE_PERIOD_DAYS } from '../../src/offboarding/request.ts';
import { OFFBOARDING_TASKS } from '../../src/offboarding/tasks.ts';
import { configJsonSchema, offboardingJsonSchema, requestJsonSchema } from '../../src/request-schema.ts';
import {
  APPROVAL_STATES,
  FORWARD_STATES,
  REPORT_STATE,
  SAGA_STEPS,
  UNDO_STATES,
  undoStateName,
} from '../../src/steps/index.ts';
import { config } from '../helpers/local-stack.ts';

type Retrier = {
  ErrorEquals: string[];
  MaxAttempts?: number;
  JitterStrategy?: string;
  MaxDelaySeconds?: number;
  BackoffRate?: number;
};
type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string };
const retriers = (s: Record<string, unknown>) => (s.Retry as Retrier[] | undefined) ?? [];
const catchers = (s: Record<string, unknown>) => (s.Catch as Catcher[] | undefined) ?? [];

let file: AslFile;
let asl: AslDefinition;
let functions: Record<string, { handler: string }>;

beforeAll(async () => {
  file = await loadAslFile();
  asl = file.definition;
  functions = await loadServerlessFunctions();
});

/** What holds for both state machines: the onboarding's and the leaver's (statemachine/offboarding.asl.yaml). */
const MACHINE_FILES: [string, AslFile][] = [
  ['onboarding', await loadAslFile()],
  ['offboarding', await loadAslFile(OFFBOARDING_ASL_PATH)],
];

describe.each(MACHINE_FILES)('the %s state machine definition', (_machine, file) => {
  const asl = file.definition;

  it('passes asl-validator', () => {
    const result = aslValidator(asl, { checkPaths: true, checkArn: false });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('has a Comment on every state', () => {
    const missing = Object.entries(asl.States).filter(
      ([, s]) => typeof s.Comment !== 'string' || s.Comment.length < 10,
    );
    expect(missing.map(([n]) => n)).toEqual([]);
  });

  it("lists the retried error names once, as the domain's registry has them", () => {
    const sorted = (xs: readonly string[]) => [...xs].sort();
    expect(sorted(file.errors.throttling ?? [])).toEqual(
      sorted([...THROTTLING_ERROR_NAMES, ...LAMBDA_THROTTLING_ERROR_NAMES]),
    );
    expect(sorted(file.errors.transient ?? [])).toEqual(
      sorted([...TRANSIENT_ERROR_NAMES, ...LAMBDA_TRANSIENT_ERROR_NAMES]),
    );
    expect(sorted(file.errors.crashed ?? [])).toEqual(sorted(CRASH_ERROR_NAMES));
  });

  it('retries every Task on every transient error, at least once, with backoff, full jitter and a ceiling', () => {
    const retried = [
      ...THROTTLING_ERROR_NAMES,
      ...LAMBDA_THROTTLING_ERROR_NAMES,
      ...TRANSIENT_ERROR_NAMES,
      ...LAMBDA_TRANSIENT_ERROR_NAMES,
      ...CRASH_ERROR_NAMES,
    ];
    for (const [name, state] of taskStates(asl)) {
      const r = retriers(state);
      for (const error of retried) {
        // On a callback Task, States.Timeout is the wait's own deadline (an approval that expired), not a
        // Lambda that timed out: retrying it would ask again, so it must not be retried there.
        if (waitsForTaskToken(state) && error === 'States.Timeout') {
          expect(
            r.flatMap((x) => x.ErrorEquals),
            `${name} must not retry its expiry`,
          ).not.toContain(error);
          continue;
        }
        // The first retrier that names an error is the one that applies to it.
        const applies = r.find((x) => x.ErrorEquals.includes(error));
        expect(applies?.MaxAttempts ?? 0, `${name} retries ${error}`).toBeGreaterThan(0);
      }
      for (const retrier of r) {
        expect(retrier.JitterStrategy, name).toBe('FULL');
        expect(retrier.MaxDelaySeconds, name).toBeGreaterThan(0);
        expect(retrier.BackoffRate, name).toBeGreaterThan(1);
      }
    }
  });

  it('never retries a permanent error', () => {
    const permanent = [
      ...ERROR_CLASSES.map((C) => new C('probe'))
        .filter((e) => e.kind === 'permanent')
        .map((e) => e.name),
      'States.ALL',
    ];
    expect(permanent).toContain('AccessDenied');
    for (const [name, state] of taskStates(asl)) {
      const matched = retriers(state).flatMap((x) => x.ErrorEquals);
      for (const p of permanent) expect(matched, `${name} must not retry ${p}`).not.toContain(p);
    }
  });

  it('matches only error names that the code raises (or that Step Functions and Lambda define)', () => {
    const names = new Set<string>();
    for (const state of Object.values(asl.States)) {
      for (const r of retriers(state)) for (const e of r.ErrorEquals) names.add(e);
      for (const c of catchers(state)) for (const e of c.ErrorEquals) names.add(e);
      if (typeof state.Error === 'string') names.add(state.Error);
    }
    const unknown = [...names].filter(
      (n) =>
        !n.startsWith('States.') &&
        !n.startsWith('Lambda.') &&
        !(DOMAIN_ERROR_NAMES as readonly string[]).includes(n),
    );
    expect(unknown).toEqual([]);
  });
});

describe('the state machine definition', () => {
  it('runs the saga steps in the order the domain lists them', () => {
    // The unprivileged path: a Choice goes on by its Default (the approval gate is checked below).
    const order: string[] = [];
    let current: string | undefined = asl.StartAt;
    while (current && (FORWARD_STATES.includes(current) || asl.States[current]?.Type === 'Choice')) {
      const state = asl.States[current] as Record<string, unknown>;
      if (state.Type === 'Choice') {
        current = state.Default as string;
        continue;
      }
      order.push(current);
      current = state.Next as string | undefined;
    }
    expect(order).toEqual(FORWARD_STATES);
    expect(current).toBe('OnboardingSucceeded');
  });

  it('puts the approval gate between ValidateRequest and Plan, before anything is read or created', () => {
    expect(asl.States.ValidateRequest?.Next).toBe('NeedsApproval');
    expect(asl.States.NeedsApproval).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.approval.required', BooleanEquals: true, Next: APPROVAL_STATES[0] }],
      Default: 'Plan',
    });
    const gate = asl.States[APPROVAL_STATES[0] as string] as Record<string, unknown>;
    expect(gate).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.approval.expiresAfterSeconds',
      Next: 'Plan',
    });
    expect(catchers(gate).map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['ApprovalDenied'], 'Denied'],
      [['States.Timeout'], 'Expired'],
      [['States.ALL'], 'ReportRollback'],
    ]);
    expect(asl.States.Denied).toMatchObject({ Type: 'Fail', Error: 'ApprovalDenied' });
    expect(asl.States.Expired).toMatchObject({ Type: 'Fail', Error: 'ApprovalExpired' });
    // The execution's own timeout leaves room for the longest approval and the saga after it.
    expect(asl.TimeoutSeconds ?? 0).toBeGreaterThan(MAX_APPROVAL_SECONDS);
  });

  it('catches every failure after Plan into the undo of the failed step itself', () => {
    for (const step of SAGA_STEPS) {
      const c = catchers(asl.States[step.name] as Record<string, unknown>);
      expect(c, step.name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: undoStateName(step.name) },
      ]);
    }
  });

  it('chains the undos in reverse order, each going on to the next whether it succeeds or fails', () => {
    const chain = [...UNDO_STATES, REPORT_STATE];
    for (let i = 0; i < UNDO_STATES.length; i++) {
      const name = chain[i] as string;
      const state = asl.States[name] as Record<string, unknown>;
      expect(state.Next, name).toBe(chain[i + 1]);
      expect(catchers(state), name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: `$.rollback.${name}`, Next: chain[i + 1] },
      ]);
      expect(state.ResultPath, name).toBe(`$.rollback.${name}`);
    }
  });

  it('ends a clean rollback and an incomplete one in distinct Fail states', () => {
    expect(asl.States.OnboardingFailed).toMatchObject({ Type: 'Fail', ErrorPath: '$.outcome.error' });
    expect(asl.States.RollbackIncomplete).toMatchObject({ Type: 'Fail', Error: 'RollbackIncomplete' });
    expect(asl.States.CheckRollback).toMatchObject({ Type: 'Choice', Default: 'OnboardingFailed' });
  });
});

describe('the ASL, serverless.yml and functions/ agree', () => {
  it('binds every Task state to a serverless.yml function whose module exports it and make(deps)', async () => {
    const bindings = await bindTasks(asl, functions);
    for (const b of bindings) {
      const mod = (await import(pathToFileURL(b.file).href)) as Record<string, unknown>;
      expect(typeof mod[b.exportName], `${b.state} -> ${b.handler}`).toBe('function');
      // The local runner builds the same export from the module's factory, with its own stack's clients.
      expect(typeof mod.make, `${b.file} exports make(deps)`).toBe('function');
      const built = (mod.make as (deps: () => never) => Record<string, unknown>)(() => {
        throw new Error('not called while building');
      });
      expect(Object.keys(built).sort(), b.file).toEqual(
        Object.keys(mod)
          .filter((k) => k !== 'make')
          .sort(),
      );
    }
    expect(bindings.map((b) => b.state).sort()).toEqual(
      [...FORWARD_STATES, ...APPROVAL_STATES, ...UNDO_STATES, REPORT_STATE].sort(),
    );
  });

  it('deploys exactly one function per Task state of either state machine, plus only the two entry points for ticketing tools', () => {
    const used = MACHINE_FILES.flatMap(([, f]) => taskStates(f.definition)).map(([, s]) => functionKeyOf(s));
    expect(new Set(used).size).toBe(used.length);
    const others = Object.keys(functions).filter((k) => !used.includes(k));
    expect(others.sort()).toEqual(['httpApi', 'notifyCompletion']);
  });

  it('names each function after its state (camelCase key, PascalCase state)', () => {
    for (const [name, state] of taskStates(asl)) {
      const key = functionKeyOf(state) ?? '';
      expect(key[0]?.toUpperCase() + key.slice(1), name).toBe(name);
    }
  });
});

describe('what reviewers and ticketing tools read', () => {
  it("keeps the README's state machine diagram identical to the one drawn from the ASL", async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const embedded = /<!-- graph:start -->\n```mermaid\n([\s\S]*?)\n```\n<!-- graph:end -->/.exec(
      readme,
    )?.[1];
    expect(embedded, 'README.md has no graph block; paste the output of `npx onboard graph`').toBeDefined();
    expect(embedded).toBe(mermaidFromAsl(asl));
  });

  it('publishes the request JSON Schema generated from the zod schema', async () => {
    const published = JSON.parse(
      await readFile(join(PROJECT_ROOT, 'schema', 'onboarding-request.schema.json'), 'utf8'),
    );
    expect(published).toEqual(requestJsonSchema(config));
    expect(published.properties.profile.enum).toEqual(Object.keys(config.profiles));
  });

  it('publishes the offboarding request JSON Schema generated from the zod schema', async () => {
    const published = JSON.parse(
      await readFile(join(PROJECT_ROOT, 'schema', 'offboarding-request.schema.json'), 'utf8'),
    );
    expect(published).toEqual(offboardingJsonSchema());
    expect(published.required).toEqual(['requestId', 'userName']);
    expect(published.properties.gracePeriodDays).toMatchObject({ default: 7, maximum: 90 });
  });

  it('publishes the configuration JSON Schema that config/onboarding.json names', async () => {
    const published = JSON.parse(
      await readFile(join(PROJECT_ROOT, 'schema', 'onboarding-config.schema.json'), 'utf8'),
    );
    expect(published).toEqual(configJsonSchema());
    const file = JSON.parse(await readFile(join(PROJECT_ROOT, 'config', 'onboarding.json'), 'utf8'));
    expect(file.$schema).toBe('../schema/onboarding-config.schema.json');
  });
});

describe('the offboarding state machine', () => {
  const off = (MACHINE_FILES[1] as [string, AslFile])[1].definition;

  it('binds exactly the tasks src/offboarding/tasks.ts declares, each to its own function and functions/ module', async () => {
    const bindings = await bindTasks(off, await loadServerlessFunctions());
    expect(bindings.map((b) => [b.state, b.functionKey])).toEqual(
      OFFBOARDING_TASKS.map((t) => [t.state, t.functionKey]),
    );
    for (const b of bindings) {
      const mod = (await import(pathToFileURL(b.file).href)) as Record<string, unknown>;
      expect(typeof mod[b.exportName], b.handler).toBe('function');
      expect(typeof mod.make, `${b.file} exports make(deps)`).toBe('function');
    }
  });

  it('contains before the grace period, and never goes from a removal failure to anything but a Fail', () => {
    expect(off.States.Snapshot?.Next).toBe('Contain');
    expect(off.States.Contain?.Next).toBe('HasGracePeriod');
    expect(off.States.GracePeriod).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.graceSeconds',
      Next: 'Restore',
    });
    // The grace period's end is the removal; a restore request answers its token.
    expect(catchers(off.States.GracePeriod as Record<string, unknown>)[0]).toMatchObject({
      ErrorEquals: ['States.Timeout'],
      Next: 'Remove',
    });
    for (const state of ['Remove', 'Verify']) {
      const next = catchers(off.States[state] as Record<string, unknown>).map((c) => c.Next);
      expect(
        next.map((n) => off.States[n]?.Type),
        state,
      ).toEqual(['Fail']);
    }
    expect(catchers(off.States.Snapshot as Record<string, unknown>)[0]).toMatchObject({
      ErrorEquals: ['OffboardingRefused'],
      Next: 'Refused',
    });
    // The longest grace period fits in the execution.
    expect(off.TimeoutSeconds ?? 0).toBeGreaterThan(MAX_GRACE_PERIOD_DAYS * 86_400);
  });
});
