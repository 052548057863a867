import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, across all projects (vitest's own order runs the projects one after another,
 * longest first only within each): with one worker per core, the run ends when its longest file does,
 * so that file must start first. The fault matrices (by far the longest files) always go first: the
 * results cache keeps the duration of the last run, and a run filtered to a few cells (`-t`) left them
 * looking short (they then started two minutes into a full run). The others by their last duration.
 */
const HEAVY = /fault-matrix[^/]*\.test\.ts$/;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const { cache, config } = this.ctx;
    const weight = (spec: TestSpecification) => {
      if (HEAVY.test(spec.moduleId)) return Number.MAX_SAFE_INTEGER;
      const key = `${spec.project.name}:${relative(config.root, spec.moduleId)}`;
      return cache.getFileTestResults(key)?.duration ?? 0;
    };
    const order = new Map(base.map((spec, i) => [spec, i]));
    return [...base].sort((a, b) => weight(b) - weight(a) || (order.get(a) ?? 0) - (order.get(b) ?? 0));
  }
}
