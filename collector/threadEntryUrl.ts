/** threadEntry.js: what every worker thread of the collector starts (it loads the TypeScript module it is given). */
export const THREAD_ENTRY = new URL('./threadEntry.js', import.meta.url);
