import { describe, expect, it } from 'vitest';
import { createdSchema, SAGA_STEPS, stepInputSchema } from '../../src/steps/index.ts';
import * as input from '../../src/steps/input.ts';

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
