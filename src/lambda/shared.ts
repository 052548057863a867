import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { InvalidRequestError } from '../errors.ts';
import { ENGLISH_ERRORS } from '../zod-english.ts';

/**
 * What every Lambda entry point shares: the logger, event parsing with a clear error, and timing.
 * Nothing here imports the AWS SDK, so the handlers that make no AWS call do not carry it.
 */

export const logger = new Logger({ serviceName: 'iam-onboarding' });

/** A Lambda handler: the event is untrusted until parsed; the context is there on Lambda and locally. */
export type Handler<O> = (event: unknown, context?: Context) => Promise<O>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A dependency built on first use and kept for the container's life (Lambda reuses warm containers).
 * A module-level `once(...)` carries a `@__PURE__` annotation: esbuild keeps any other top-level call,
 * and with it the clients it would build, in every bundle that imports the module for something else.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

export function issuesOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }) {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(event)', message: i.message }));
}

export function parseEvent<T>(schema: z.ZodMiniType<T>, event: unknown, task: string): T {
  const parsed = schema.safeParse(event, ENGLISH_ERRORS);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new InvalidRequestError(
      `${task}: malformed task input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return parsed.data;
}

export interface InvocationIds {
  requestId?: string | undefined;
  execution?: string | undefined;
}

/**
 * Runs one invocation with its own child logger: concurrent invocations in one process (the local
 * runner) each keep their task, request id and execution on every line.
 */
export async function traced<O>(
  task: string,
  ids: InvocationIds,
  context: Context | undefined,
  fn: (log: Logger) => Promise<O>,
): Promise<O> {
  const log = logger.createChild({
    persistentKeys: {
      task,
      ...(ids.requestId ? { requestId: ids.requestId } : {}),
      ...(ids.execution ? { execution: ids.execution } : {}),
    },
  });
  if (context) log.addContext(context);
  const started = Date.now();
  try {
    const result = await fn(log);
    log.info(`${task} done`, { durationMs: Date.now() - started });
    return result;
  } catch (error) {
    // Name and message only: never the event, which is where a request's data lives.
    const e = error as Error;
    log.warn(`${task} failed`, {
      errorName: e?.name,
      errorMessage: e?.message,
      durationMs: Date.now() - started,
    });
    throw error;
  }
}
