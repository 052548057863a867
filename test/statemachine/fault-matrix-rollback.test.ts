import { runMatrix } from './fault-matrix.ts';

// The fault matrix's rollback half (test/statemachine/fault-matrix.ts): a file of its own, so the halves run in parallel.
runMatrix('rollback');
