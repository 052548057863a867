import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, type Tags, type YAMLSeq } from 'yaml';
import { cachedYamlParse } from './disk-cache.ts';
import { PROJECT_ROOT } from './paths.ts';

/**
 * Reads the two sources of truth - the ASL file and serverless.yml - and maps every Task state to the
 * Lambda handler that serverless.yml deploys for it. Nothing here is defined a second time.
 */

export { PROJECT_ROOT };
export const ASL_PATH = join(PROJECT_ROOT, 'statemachine', 'onboarding.asl.yaml');
/** The leaver saga: a second state machine, its tasks bound to serverless.yml the same way. */
export const OFFBOARDING_ASL_PATH = join(PROJECT_ROOT, 'statemachine', 'offboarding.asl.yaml');
export const SERVERLESS_PATH = join(PROJECT_ROOT, 'serverless.yml');

export type AslState = Record<string, unknown> & { Type: string; Resource?: unknown };
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
  TimeoutSeconds?: number;
}

export interface TaskBinding {
  state: string;
  functionKey: string;
  /** e.g. `functions/create-user.undo` */
  handler: string;
  file: string;
  exportName: string;
  /** A callback Task: invoked with its `Payload`, answered through SendTaskSuccess/SendTaskFailure. */
  waitForTaskToken: boolean;
}

/** The ASL file: shared blocks (Retry lists, the step input) and, under `definition`, the state machine. */
export interface AslFile {
  errors: Record<string, string[]>;
  retry: Record<string, Record<string, unknown>[]>;
  definition: AslDefinition;
}

/**
 * Parsed YAML by file content: the files are read every time (an edited file is parsed again), but the
 * same text is parsed once per process - the fault matrix opens hundreds of runners. Callers get their
 * own copy, so one that edits its definition (a test switching a retrier off) changes no other.
 */
const PARSED = new Map<string, unknown>();

async function parseYamlFile(
  path: string,
  /** Names the parse (its options and tags): part of the on-disk cache's key, with the text. */
  kind: string,
  parseText: (text: string) => unknown,
): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  const key = `${path}\0${text}`;
  if (!PARSED.has(key)) PARSED.set(key, cachedYamlParse(kind, text, parseText));
  return structuredClone(PARSED.get(key));
}

export async function loadAslFile(path = ASL_PATH): Promise<AslFile> {
  // The YAML parser resolves the anchors: the definition is plain ASL, as serverless.yml deploys it.
  return (await parseYamlFile(path, 'yaml-asl', (text) => parse(text, { maxAliasCount: -1 }))) as AslFile;
}

export async function loadAsl(path = ASL_PATH): Promise<AslDefinition> {
  return (await loadAslFile(path)).definition;
}

/**
 * serverless.yml holds `${...}` variables and `!Ref` tags that only the framework resolves; the runner
 * needs only `functions.<key>.handler`, so unknown tags are read as plain values.
 */
export async function loadServerlessFunctions(
  path = SERVERLESS_PATH,
): Promise<Record<string, { handler: string }>> {
  const doc = (await parseYamlFile(path, 'yaml-functions', (text) =>
    parse(text, { customTags: FUNCTION_TAGS }),
  )) as {
    functions?: Record<string, { handler: string }>;
  };
  return doc.functions ?? {};
}

const FUNCTION_TAGS: Tags = [
  { tag: '!Ref', resolve: (v: string) => ({ Ref: v }) },
  { tag: '!GetAtt', resolve: (v: string) => ({ 'Fn::GetAtt': v }) },
  { tag: '!Sub', resolve: (v: string) => ({ 'Fn::Sub': v }) },
  { tag: '!Join', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Join': v.toJSON() }) },
  { tag: '!Sub', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Sub': v.toJSON() }) },
  { tag: '!If', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::If': v.toJSON() }) },
  { tag: '!Equals', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Equals': v.toJSON() }) },
  { tag: '!Not', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Not': v.toJSON() }) },
  { tag: '!GetAtt', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::GetAtt': v.toJSON() }) },
  { tag: '!Select', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Select': v.toJSON() }) },
  { tag: '!Split', collection: 'seq' as const, resolve: (v: YAMLSeq) => ({ 'Fn::Split': v.toJSON() }) },
  { tag: '!ImportValue', resolve: (v: string) => ({ 'Fn::ImportValue': v }) },
];

/** The callback pattern: Step Functions invokes the function with a task token and waits for its answer. */
export const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

const getAttKey = (value: unknown): string | undefined => {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
};

/**
 * The function key of a Task: `Resource: { Fn::GetAtt: [key, Arn] }` (the long form, as deployed), or,
 * for a callback Task (`Resource: arn:aws:states:::lambda:invoke.waitForTaskToken`), its
 * `Parameters.FunctionName: { Fn::GetAtt: [key, Arn] }`.
 */
export function functionKeyOf(state: AslState): string | undefined {
  if (state.Resource === WAIT_FOR_TASK_TOKEN)
    return getAttKey((state.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName);
  return getAttKey(state.Resource);
}

export const waitsForTaskToken = (state: AslState) => state.Resource === WAIT_FOR_TASK_TOKEN;

export function taskStates(asl: AslDefinition): [string, AslState][] {
  return Object.entries(asl.States).filter(([, s]) => s.Type === 'Task');
}

export async function bindTasks(
  asl: AslDefinition,
  functions?: Record<string, { handler: string }>,
): Promise<TaskBinding[]> {
  const fns = functions ?? (await loadServerlessFunctions());
  return taskStates(asl).map(([state, def]) => {
    const functionKey = functionKeyOf(def);
    if (!functionKey)
      throw new Error(
        `Task state ${state} has no Resource { Fn::GetAtt: [<function>, Arn] } (nor, for ${WAIT_FOR_TASK_TOKEN}, Parameters.FunctionName { Fn::GetAtt: [<function>, Arn] })`,
      );
    const fn = fns[functionKey];
    if (!fn)
      throw new Error(
        `Task state ${state} names function "${functionKey}", which serverless.yml does not define`,
      );
    const dot = fn.handler.lastIndexOf('.');
    return {
      state,
      functionKey,
      handler: fn.handler,
      file: join(PROJECT_ROOT, `${fn.handler.slice(0, dot)}.ts`),
      exportName: fn.handler.slice(dot + 1),
      waitForTaskToken: waitsForTaskToken(def),
    };
  });
}
