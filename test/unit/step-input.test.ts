import { describe, expect, it } from 'vitest';
import { createdSchema, PREPARE_TASKS, SAGA_STEPS, stepInputSchema } from '../../src/steps/index.ts';
import * as input from '../../src/steps/input.ts';
import * as names from '../../src/steps/names.ts';

/**
 * `$.created` is parsed by src/steps/input.ts, apart from the saga's registry (so that a task's bundle
 * holds its own step only); its schema names each step's result by hand. It must be the registry's.
 */
describe('the step input schema', () => {
  it("names every saga step's result, in the saga's order, with the step's own schema", () => {
    expect(Object.keys(createdSchema.shape)).toEqual(SAGA_STEPS.map((s) => s.name));
    for (const step of SAGA_STEPS) {
      const field = createdSchema.shape[step.name];
      expect(field._zod.def.type, step.name).toBe('optional');
      expect(field._zod.def.innerType, step.name).toBe(step.resultSchema);
    }
  });

  it('is the one the registry exports', () => {
    expect(input.stepInputSchema).toBe(stepInputSchema);
    expect(input.createdSchema).toBe(createdSchema);
  });
});

describe("the saga's names apart from its registry", () => {
  it("are the registry's steps and prepare tasks, in order", () => {
    expect(names.SAGA_STEP_NAMES).toEqual(SAGA_STEPS.map((s) => s.name));
    expect(names.PREPARE_STATE_NAMES).toEqual(PREPARE_TASKS.map((t) => t.name));
  });

  it('give the forward states and the rollback chain in reverse', () => {
    expect(names.FORWARD_STATES).toEqual(['ValidateRequest', 'Plan', ...SAGA_STEPS.map((s) => s.name)]);
    expect(names.UNDO_STATES).toEqual(SAGA_STEPS.map((s) => `Undo${s.name}`).reverse());
  });
});
