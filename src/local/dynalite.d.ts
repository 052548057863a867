declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** How long a table stays CREATING / DELETING / UPDATING (ms; dynalite's default is 500). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    /** A LevelDB directory; in memory without one. */
    path?: string;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}
