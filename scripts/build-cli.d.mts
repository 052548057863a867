export declare function buildCli(root?: string, options?: { quiet?: boolean }): Promise<void>;
export declare function warmCaches(root?: string): void;
